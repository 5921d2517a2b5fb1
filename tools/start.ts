import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig, PlatformConfig } from '@hub/config';
import { APP_NODE_FLAGS, closePlatform, connectPlatform, withAppEnvironment } from '@hub/runtime';
import { developmentTenant } from './dev-tenant.js';
import { LauncherConfig } from './launcher.config.js';
import { localDatabase, type LocalDatabase } from './local-database.js';

interface RunningApp {
  name: string;
  port: number;
  child: ChildProcess;
  exited: Promise<number | null>;
}

const APPS = ['ingest', 'projector', 'dispatcher', 'console'] as const;
const say = (line: string) => process.stdout.write(`[start] ${line}\n`);

/**
 * `npm start`: the whole system on one machine. With nothing configured: an embedded Postgres
 * under DATA_DIR and the Postgres-log bus; with DATABASE_URL / KAFKA_BROKERS, those instead.
 * Ctrl-C (or SIGTERM) stops the apps first, each finishing its work in flight, then Postgres.
 */
async function main(): Promise<void> {
  const config = loadConfig(LauncherConfig);
  await mkdir(config.DATA_DIR, { recursive: true });
  const running: { database?: LocalDatabase; apps: RunningApp[] } = { apps: [] };
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    await stopApps(running.apps);
    await running.database?.stop();
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  const database = await localDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    preferredPort: config.EMBEDDED_POSTGRES_PORT,
    reuseRunningServer: false,
    log: say,
  });
  running.database = database;
  const env = await appEnvironment(config, database.url);
  const apiKey = await prepareDatabase(env, config.DATA_DIR);
  if (stopping) return;
  const apps = APPS.map((name) => startApp(name, portOf(config, name), env));
  running.apps = apps;
  for (const app of apps) void app.exited.then((code) => !stopping && failed(app, code, stop));
  await Promise.all(apps.map(waitUntilHealthy));
  printBanner(apps, database, env, apiKey, outboundPolicy(config));
}

interface OutboundPolicy {
  allowHttp: boolean;
  allowPrivate: boolean;
  /** Whether each value came from the environment rather than npm start's development default. */
  fromEnvironment: { allowHttp: boolean; allowPrivate: boolean };
}

function outboundPolicy(config: LauncherConfig): OutboundPolicy {
  return {
    allowHttp: config.OUTBOUND_ALLOW_HTTP ?? true,
    allowPrivate: config.OUTBOUND_ALLOW_PRIVATE ?? true,
    fromEnvironment: {
      allowHttp: config.OUTBOUND_ALLOW_HTTP !== undefined,
      allowPrivate: config.OUTBOUND_ALLOW_PRIVATE !== undefined,
    },
  };
}

async function appEnvironment(config: LauncherConfig, databaseUrl: string): Promise<NodeJS.ProcessEnv> {
  return {
    ...process.env,
    DATABASE_URL: databaseUrl,
    SECRETS_KEY: config.SECRETS_KEY ?? (await developmentSecretsKey(config.DATA_DIR)),
    // Local development talks to receivers on this machine over plain HTTP, unless told otherwise.
    OUTBOUND_ALLOW_HTTP: String(config.OUTBOUND_ALLOW_HTTP ?? true),
    OUTBOUND_ALLOW_PRIVATE: String(config.OUTBOUND_ALLOW_PRIVATE ?? true),
    // The apps write to a pipe (this launcher prefixes their lines): text when a person watches.
    LOG_FORMAT: process.env['LOG_FORMAT'] ?? (process.stdout.isTTY ? 'text' : 'json'),
    // The console reaches the three apps where this launcher starts them.
    CONSOLE_INGEST_URL: `http://127.0.0.1:${config.INGEST_PORT}`,
    CONSOLE_PROJECTOR_URL: `http://127.0.0.1:${config.PROJECTOR_PORT}`,
    CONSOLE_DISPATCHER_URL: `http://127.0.0.1:${config.DISPATCHER_PORT}`,
  };
}

/** Generated once per data folder, beside the embedded data, never committed. */
async function developmentSecretsKey(dataDir: string): Promise<string> {
  const file = path.resolve(dataDir, 'secrets.key');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const key = randomBytes(32).toString('base64');
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/** Validates the shared settings, runs migrations once and returns the development API key. */
async function prepareDatabase(env: NodeJS.ProcessEnv, dataDir: string): Promise<string> {
  Logger.overrideLogger(['error']);
  const platform = await connectPlatform(loadConfig(PlatformConfig, env), 'launcher');
  try {
    return (await developmentTenant(platform.dataSource, String(env['DATABASE_URL']), dataDir)).api_key;
  } finally {
    await closePlatform(platform);
  }
}

function startApp(name: string, port: number, env: NodeJS.ProcessEnv): RunningApp {
  const child = spawn(process.execPath, [...APP_NODE_FLAGS, `dist/apps/${name}/src/main.js`], {
    env: withAppEnvironment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${name}] ${line}\n`));
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, port, child, exited };
}

async function waitUntilHealthy(app: RunningApp): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (app.child.exitCode !== null) return;
    const healthy = await fetch(`http://127.0.0.1:${app.port}/health/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${app.name} was not ready on port ${app.port} within 60 s`);
}

async function stopApps(apps: RunningApp[]): Promise<void> {
  await Promise.all(
    apps.map(async (app) => {
      if (app.child.exitCode !== null) return;
      app.child.kill('SIGTERM');
      const timer = setTimeout(() => app.child.kill('SIGKILL'), 15_000);
      await app.exited;
      clearTimeout(timer);
    }),
  );
}

function failed(app: RunningApp, code: number | null, stop: (code: number) => Promise<void>): void {
  say(`${app.name} exited with code ${code}; stopping everything`);
  void stop(1);
}

function portOf(config: LauncherConfig, app: (typeof APPS)[number]): number {
  return {
    ingest: config.INGEST_PORT,
    projector: config.PROJECTOR_PORT,
    dispatcher: config.DISPATCHER_PORT,
    console: config.CONSOLE_PORT,
  }[app];
}

function printBanner(
  apps: RunningApp[],
  database: LocalDatabase,
  env: NodeJS.ProcessEnv,
  apiKey: string,
  outbound: OutboundPolicy,
): void {
  const bus = env['KAFKA_BROKERS'] ? `Kafka at ${env['KAFKA_BROKERS']}` : 'Postgres log (embedded default)';
  const lines = [
    '',
    'Solar hub is running.',
    ...apps.map((app) =>
      app.name === 'console'
        ? `  ${app.name.padEnd(11)} http://127.0.0.1:${app.port}/console/   (sign in with the key below)`
        : `  ${app.name.padEnd(11)} http://127.0.0.1:${app.port}   (GET /health/ready, /metrics)`,
    ),
    `  database    ${database.description}`,
    `  bus         ${bus}`,
    '',
    `  development API key: ${apiKey}`,
    `    curl -H "Authorization: Bearer ${apiKey}" http://127.0.0.1:${apps[0]?.port}/v1/tenant`,
    '',
    ...outboundLines(outbound),
    '',
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

/** Exactly what the dispatcher will allow, and where each setting came from. */
function outboundLines({ allowHttp, allowPrivate, fromEnvironment }: OutboundPolicy): string[] {
  const origin = (fromEnvironment: boolean) =>
    fromEnvironment ? 'from the environment' : 'npm start default';
  const scheme = allowHttp ? 'http:// or https://' : 'https:// only';
  const targets = allowPrivate
    ? 'public, loopback and private addresses'
    : 'public addresses only (no loopback, private or link-local)';
  const note = allowHttp || allowPrivate ? ' (development only)' : '';
  return [
    `  OUTBOUND_ALLOW_HTTP=${allowHttp} (${origin(fromEnvironment.allowHttp)}), OUTBOUND_ALLOW_PRIVATE=${allowPrivate} (${origin(fromEnvironment.allowPrivate)}):`,
    `  subscriptions may target ${scheme}, at ${targets}${note}.`,
  ];
}

main().catch((error: unknown) => {
  const line =
    error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
  process.stderr.write(`npm start: cannot start: ${line}\n`);
  process.exit(1);
});
