import { SOURCE_ID } from '@hub/contracts';
import 'reflect-metadata';
import { Logger, type LoggerService } from '@nestjs/common';
import { ConfigError, loadConfig, PlatformConfig } from '@hub/config';
import { closePlatform, connectPlatform, type AppSchema, type Platform } from '@hub/runtime';
import {
  API_KEY_SCOPES,
  ApiKeyRepository,
  ApiKeyService,
  TenancyService,
  TenantRepository,
  type ApiKeyScope,
  type ApiKeyView,
} from '@hub/tenancy';
import { INGEST_SCHEMA } from '../apps/ingest/src/ingest.schema.js';
import { remapUnmapped } from '../apps/ingest/src/remap/remap.js';
import { PROJECTOR_MIGRATIONS } from '../apps/projector/src/projection/migrations.js';
import { rebuildReadModels } from '../apps/projector/src/rebuild/rebuild.js';
import { LauncherConfig } from './launcher.config.js';
import { localDatabase } from './local-database.js';
import { ERASE_SCHEMA, eraseTenant } from './tenant-erase.js';

const USAGE = `usage: npm run cli -- <command>   (--help: this text)

commands:
  tenant:create "<name>"             create a tenant; prints {"tenant_id": ..., "api_key": ...} (the key is shown only once)
  tenant:erase <id>                  delete a tenant and all its data from Postgres; prints the rows deleted per table
  key:create <tenant-id> --name "<name>" [--scope read|write]
                                     create an API key (scope read unless given: GET only); prints it with
                                     "api_key", shown only this once
  key:list <tenant-id>               list the tenant's API keys (prefix and last four, never the key); prints {"data": [...]}
  key:revoke <tenant-id> <key-id>    revoke an API key at once (not the tenant's last active write key); prints the key
  projector:rebuild [--tenant <id>]  rebuild the read models from the canonical topics; prints the counts
  ingest:remap --source <id> [--since <ISO time>]
                                     map a source's unmapped deliveries again (from the raw-deliveries topic)
                                     and publish the events they now make; prints {"read", "remapped", "still_unmapped", "events"}`;

type Command = (platform: Platform, args: string[]) => Promise<unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const apiKeys = (platform: Platform) => new ApiKeyService(new ApiKeyRepository(platform.dataSource));

/** The tables a command needs; the projector's by default. */
const COMMANDS: Record<string, { valid: (args: string[]) => boolean; run: Command; schema?: AppSchema }> = {
  'tenant:create': {
    valid: (args) => args.length === 1 && !!args[0]?.trim(),
    run: (platform, [name]) =>
      new TenancyService(
        new TenantRepository(platform.dataSource),
        new ApiKeyRepository(platform.dataSource),
      ).createTenant(name!),
  },
  'key:create': {
    valid: (args) => keyCreateOptions(args) !== null,
    run: (platform, args) => {
      const options = keyCreateOptions(args)!;
      return apiKeys(platform).create(options.tenantId, options.name, options.scope);
    },
  },
  'key:list': {
    valid: (args) => args.length === 1 && UUID.test(args[0]!),
    run: (platform, [tenantId]) => allKeys(apiKeys(platform), tenantId!),
  },
  'key:revoke': {
    valid: (args) => args.length === 2 && UUID.test(args[0]!) && UUID.test(args[1]!),
    run: (platform, [tenantId, keyId]) => apiKeys(platform).revoke(tenantId!, keyId!),
  },
  'tenant:erase': {
    valid: (args) => args.length === 1 && /^[0-9a-f-]{36}$/.test(args[0]!),
    schema: ERASE_SCHEMA,
    run: (platform, [id]) => eraseTenant(platform.dataSource, id!, platform.bus.transport),
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

/** `<tenant-id> --name <name> [--scope read|write]`, flags in either order; null when anything else is given. */
function keyCreateOptions(args: string[]): { tenantId: string; name: string; scope: ApiKeyScope } | null {
  const [tenantId, ...flags] = args;
  if (!tenantId || !UUID.test(tenantId)) return null;
  const given = new Map<string, string>();
  for (let i = 0; i < flags.length; i += 2) {
    const [flag, value] = [flags[i]!, flags[i + 1]];
    if (!['--name', '--scope'].includes(flag) || value === undefined || given.has(flag)) return null;
    given.set(flag, value);
  }
  const name = given.get('--name')?.trim();
  const scope = given.get('--scope') ?? 'read';
  if (!name || !API_KEY_SCOPES.includes(scope as ApiKeyScope)) return null;
  return { tenantId, name, scope: scope as ApiKeyScope };
}

/** Every page: a tenant has a handful of keys, and an operator wants them all at once. */
async function allKeys(keys: ApiKeyService, tenantId: string): Promise<{ data: ApiKeyView[] }> {
  const data: ApiKeyView[] = [];
  let after: string | undefined;
  do {
    const page = await keys.list(tenantId, 100, after);
    data.push(...page.data);
    after = page.after ?? undefined;
  } while (after);
  return { data };
}

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

const HELP = ['--help', '-h', 'help'];

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
  if (name && HELP.includes(name)) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const command = name ? COMMANDS[name] : undefined;
  const mistake = !name
    ? 'no command given'
    : !command
      ? `unknown command ${JSON.stringify(name)}`
      : !command.valid(rest)
        ? `wrong arguments for ${name}`
        : null;
  if (mistake || !command) {
    process.stderr.write(`cli: ${mistake}\n${USAGE}\n`);
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
