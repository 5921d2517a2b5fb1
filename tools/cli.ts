import { SOURCE_ID } from '@hub/contracts';
import 'reflect-metadata';
import { Logger, type LoggerService } from '@nestjs/common';
import { ConfigError, loadConfig, PlatformConfig } from '@hub/config';
import { closePlatform, connectPlatform, type AppSchema, type Platform } from '@hub/runtime';
import { TenancyService, TenantRepository } from '@hub/tenancy';
import { INGEST_SCHEMA } from '../apps/ingest/src/ingest.schema.js';
import { remapUnmapped } from '../apps/ingest/src/remap/remap.js';
import { PROJECTOR_MIGRATIONS } from '../apps/projector/src/projection/migrations.js';
import { rebuildReadModels } from '../apps/projector/src/rebuild/rebuild.js';
import { LauncherConfig } from './launcher.config.js';
import { localDatabase } from './local-database.js';

const USAGE = `usage: npm run cli -- <command>

commands:
  tenant:create "<name>"             create a tenant; prints {"tenant_id": ..., "api_key": ...} (the key is shown only once)
  projector:rebuild [--tenant <id>]  rebuild the read models from the canonical topics; prints the counts
  ingest:remap --source <id> [--since <ISO time>]
                                     map a source's unmapped deliveries again (from the raw-deliveries topic)
                                     and publish the events they now make; prints {"read", "remapped", "still_unmapped", "events"}`;

type Command = (platform: Platform, args: string[]) => Promise<unknown>;

/** The tables a command needs; the projector's by default. */
const COMMANDS: Record<string, { valid: (args: string[]) => boolean; run: Command; schema?: AppSchema }> = {
  'tenant:create': {
    valid: (args) => args.length === 1 && !!args[0]?.trim(),
    run: (platform, [name]) =>
      new TenancyService(new TenantRepository(platform.dataSource)).createTenant(name!),
  },
  'projector:rebuild': {
    valid: (args) =>
      args.length === 0 || (args.length === 2 && args[0] === '--tenant' && /^[0-9a-f-]{36}$/.test(args[1]!)),
    run: (platform, args) =>
      rebuildReadModels(platform.dataSource, platform.bus, {
        topicPrefix: platform.config.TOPIC_PREFIX,
        ...(args[1] ? { tenantId: args[1] } : {}),
      }),
  },
  'ingest:remap': {
    valid: (args) => {
      const options = remapOptions(args);
      return options !== null && SOURCE_ID.test(options.source);
    },
    schema: INGEST_SCHEMA,
    run: (platform, args) => {
      const options = remapOptions(args)!;
      return remapUnmapped(platform.dataSource, platform.bus, {
        topicPrefix: platform.config.TOPIC_PREFIX,
        sourceId: options.source,
        ...(options.since ? { since: options.since } : {}),
      });
    },
  },
};

/** `--source <id> [--since <ISO time>]`, in either order; null when anything else is given. */
function remapOptions(args: string[]): { source: string; since?: Date } | null {
  const given = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i]!, args[i + 1]];
    if (!['--source', '--since'].includes(flag) || value === undefined || given.has(flag)) return null;
    given.set(flag, value);
  }
  const source = given.get('--source');
  const sinceText = given.get('--since');
  const since = sinceText === undefined ? undefined : new Date(sinceText);
  if (!source || (since && Number.isNaN(since.getTime()))) return null;
  return { source, ...(since ? { since } : {}) };
}

/**
 * Nest's console logger writes warnings to stdout, where the one result line goes: warnings (a
 * rebuild's skipped tenants, say) and errors go to stderr, one line each, and nothing else is logged.
 */
const STDERR_LOGGER: LoggerService = {
  log: () => undefined,
  warn: (message: unknown, ...context: unknown[]) => writeLogLine('warn', message, context),
  error: (message: unknown, ...context: unknown[]) => writeLogLine('error', message, context),
};

function writeLogLine(level: string, message: unknown, context: unknown[]): void {
  const name = context.filter((part) => typeof part === 'string').at(-1);
  process.stderr.write(`cli: ${level}${name ? ` ${name}` : ''}: ${String(message)}\n`);
}

/** Operator commands. Results go to stdout as one JSON line; everything else to stderr. */
async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  const command = name ? COMMANDS[name] : undefined;
  if (!command || !command.valid(rest)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  Logger.overrideLogger(STDERR_LOGGER);
  const launcher = loadConfig(LauncherConfig);
  const database = await localDatabase({
    databaseUrl: launcher.DATABASE_URL,
    dataDir: launcher.DATA_DIR,
    preferredPort: launcher.EMBEDDED_POSTGRES_PORT,
    reuseRunningServer: true,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  try {
    const config = loadConfig(PlatformConfig, { ...process.env, DATABASE_URL: database.url });
    const platform = await connectPlatform(
      config,
      'cli',
      command.schema ?? { migrations: PROJECTOR_MIGRATIONS },
    );
    try {
      process.stdout.write(`${JSON.stringify(await command.run(platform, rest))}\n`);
    } finally {
      await closePlatform(platform);
    }
  } finally {
    await database.stop();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `cli: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
