import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { freePort, isAlive } from '@hub/persistence';
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
  'npm start brings the three apps to ready with nothing configured, and Ctrl-C stops everything',
  { timeout: 120_000 },
  async () => {
    const ports = {
      INGEST_PORT: await freePort(),
      PROJECTOR_PORT: await freePort(),
      DISPATCHER_PORT: await freePort(),
    };
    const env = {
      DATA_DIR: dataDir,
      EMBEDDED_POSTGRES_PORT: String(await freePort()),
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    };
    const started = Date.now();
    const launcher = runProcess('dist/tools/start.js', env);
    try {
      await launcher.waitForLine(/^Press Ctrl-C to stop\.$/, 60_000);
      const elapsed = Date.now() - started;
      for (const port of Object.values(ports)) {
        const health = await fetch(`http://127.0.0.1:${port}/health`);
        assert.equal(health.status, 200, `port ${port} is ready`);
      }
      const keyLine = await launcher.waitForLine(/development API key: hub_/);
      const apiKey = keyLine.split('development API key: ')[1]!.trim();
      const tenant = await fetch(`http://127.0.0.1:${ports.PROJECTOR_PORT}/v1/tenant`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      assert.equal(tenant.status, 200);
      assert.ok(elapsed < 30_000, `ready after ${elapsed} ms`);
    } finally {
      const postmasterPid = readPostmasterPid(dataDir);
      // Ctrl-C in a terminal: SIGINT to the whole foreground process group.
      assert.equal(await launcher.stop('SIGINT'), 0);
      assert.ok(launcher.output.includes('[start] stopped'), launcher.output.join('\n'));
      if (postmasterPid)
        assert.equal(isAlive(postmasterPid), false, 'the embedded Postgres is stopped, not orphaned');
    }
  },
);

function readPostmasterPid(dir: string): number | undefined {
  const file = path.join(dir, 'postgres', 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
}
