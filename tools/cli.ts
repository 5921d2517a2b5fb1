import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig, PlatformConfig } from '@hub/config';
import { connectPlatform, closePlatform } from '@hub/runtime';
import { TenancyService, TenantRepository } from '@hub/tenancy';
import { LauncherConfig } from './launcher.config.js';
import { localDatabase } from './local-database.js';

const USAGE = `usage: npm run cli -- <command>

commands:
  tenant:create "<name>"   create a tenant; prints {"tenant_id": ..., "api_key": ...} (the key is shown only once)`;

/** Operator commands. Results go to stdout as one JSON line; everything else to stderr. */
async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command !== 'tenant:create' || rest.length !== 1 || !rest[0]?.trim()) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  Logger.overrideLogger(['error']);
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
    const platform = await connectPlatform(config, 'cli');
    try {
      const created = await new TenancyService(new TenantRepository(platform.dataSource)).createTenant(
        rest[0],
      );
      process.stdout.write(`${JSON.stringify(created)}\n`);
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
