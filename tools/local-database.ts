import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { embeddedClusterDir, isAlive, startEmbeddedPostgres } from '@hub/persistence';

export interface LocalDatabase {
  url: string;
  /** How to say where the data lives, for the start-up banner. */
  description: string;
  stop(): Promise<void>;
}

const DATABASE = 'solar_hub';

export interface LocalDatabaseOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  preferredPort: number;
  /** The CLI uses the server `npm start` is running; `npm start` itself replaces a leftover one. */
  reuseRunningServer: boolean;
  log: (line: string) => void;
}

/** DATABASE_URL when given; otherwise the embedded Postgres under `<dataDir>/postgres`. */
export async function localDatabase(options: LocalDatabaseOptions): Promise<LocalDatabase> {
  const { databaseUrl, dataDir, preferredPort, log } = options;
  if (databaseUrl) return { url: databaseUrl, description: 'DATABASE_URL', stop: async () => undefined };
  const clusterDir = path.resolve(dataDir, 'postgres');
  const running = options.reuseRunningServer ? runningPort(embeddedClusterDir(clusterDir)) : undefined;
  if (running) {
    const url = await ensureDatabase(`postgres://hub:hub@127.0.0.1:${running}/postgres`);
    return { url, description: `embedded Postgres on 127.0.0.1:${running}`, stop: async () => undefined };
  }
  const server = await startEmbeddedPostgres(clusterDir, preferredPort, log);
  const url = await ensureDatabase(server.url);
  return {
    url,
    description: `embedded Postgres on 127.0.0.1:${server.port}, data in ${server.dataDir}`,
    stop: () => server.stop(),
  };
}

/** The port of a live server on this data folder (postmaster.pid: pid on line 1, port on line 4). */
function runningPort(clusterDir: string): number | undefined {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  if (!isAlive(Number(lines[0]))) return undefined;
  const port = Number(lines[3]);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

async function ensureDatabase(serverUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${DATABASE}`;
  return url.toString();
}
