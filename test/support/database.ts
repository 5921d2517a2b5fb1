import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '@hub/persistence';
import { testSetting } from './test-env.js';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432/test';
/** A test server that does not answer within this is taken as absent (or broken), not waited on. */
const CONNECT_TIMEOUT_MS = 2_000;
let embedded: Promise<EmbeddedPostgresHandle> | undefined;

/**
 * A fresh, empty database for one test file: on TEST_DATABASE_URL's server if set, else on the
 * Postgres at 127.0.0.1:5432 if it answers, else on an embedded Postgres started for this process.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const server = await serverUrl();
  const name = `hub_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withClient(server, (client) => client.query(`CREATE DATABASE ${name}`), CONNECT_TIMEOUT_MS);
  const url = withDatabase(server, name);
  return {
    url,
    drop: async () => {
      await withClient(
        server,
        (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
        CONNECT_TIMEOUT_MS,
      );
    },
  };
}

async function serverUrl(): Promise<string> {
  const configured = testSetting('TEST_DATABASE_URL');
  if (configured) return configured;
  if (await answers(LOCAL_SERVER)) return LOCAL_SERVER;
  embedded ??= startTemporaryEmbeddedPostgres();
  return (await embedded).url;
}

async function startTemporaryEmbeddedPostgres(): Promise<EmbeddedPostgresHandle> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hub-test-pg-'));
  await chmod(dir, 0o755); // under root the server runs as `postgres`, which must reach the folder
  const handle = await startEmbeddedPostgres(path.join(dir, 'data'), 0, (line) => console.error(line));
  return {
    ...handle,
    stop: async () => {
      await handle.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Stops the embedded server, if this process started one. Call from a top-level `after`. */
export async function stopEmbeddedTestServer(): Promise<void> {
  if (embedded) await (await embedded).stop();
  embedded = undefined;
}

async function answers(url: string): Promise<boolean> {
  return withClient(url, () => Promise.resolve(), CONNECT_TIMEOUT_MS).then(
    () => true,
    () => false,
  );
}

/**
 * One connection for `work`, closed after it whatever happens. `connectionTimeoutMillis` 0 waits
 * as long as the server takes (a benchmark's loaded server); the test database's own calls give up
 * after CONNECT_TIMEOUT_MS.
 */
export async function withClient<T>(
  url: string,
  work: (client: pg.Client) => Promise<T>,
  connectionTimeoutMillis = 0,
): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
