import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { freePort } from '@hub/persistence';
import { createTestDatabase, stopEmbeddedTestServer, type TestDatabase } from '../support/database.js';
import { runProcess, waitForHealthy } from '../support/app-process.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { createTenant } from '../support/tenants.js';

const APPS = [
  { name: 'ingest', portSetting: 'INGEST_PORT' },
  { name: 'projector', portSetting: 'PROJECTOR_PORT' },
  { name: 'dispatcher', portSetting: 'DISPATCHER_PORT' },
] as const;

/** Each app's consumer lanes, all running once it is ready (the projector's on its own thread by default). */
const EXPECTED_LANES: Record<(typeof APPS)[number]['name'], Array<{ lane: string; state: string }>> = {
  ingest: [],
  projector: [
    { lane: 'projector.canonical', state: 'running' },
    { lane: 'projector.canonical.slow', state: 'running' },
  ],
  dispatcher: [{ lane: 'dispatcher.state-changes', state: 'running' }],
};

const TEST_SECRETS_KEY = randomBytes(32).toString('base64');
after(stopEmbeddedTestServer);

describe('apps as processes', { timeout: 180_000 }, () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(() => database?.drop());

  for (const app of APPS) {
    test(`${app.name} is ready on /health, guards its API by key and stops cleanly on SIGTERM`, async () => {
      const port = await freePort();
      const process = runProcess(`dist/apps/${app.name}/src/main.js`, {
        DATABASE_URL: database.url,
        SECRETS_KEY: TEST_SECRETS_KEY,
        [app.portSetting]: String(port),
      });
      const base = `http://127.0.0.1:${port}`;
      try {
        await waitForHealthy(base);
        const health = (await (await fetch(`${base}/health/ready`)).json()) as Record<string, unknown>;
        assert.deepEqual(health, {
          status: 'ok',
          transport: 'postgres-log',
          checks: { database: 'up', bus: 'up', lanes: 'up', serving: 'up' },
          lanes: EXPECTED_LANES[app.name],
        });
        assert.deepEqual(await (await fetch(`${base}/health`)).json(), health, '/health is ready');
        assert.deepEqual(await (await fetch(`${base}/health/live`)).json(), { status: 'ok' });

        const tenant = await createTenant({ DATABASE_URL: database.url }, `${app.name} tenant`);
        const own = await fetch(`${base}/v1/tenant`, {
          headers: { authorization: `Bearer ${tenant.api_key}` },
        });
        assert.equal(own.status, 200);
        assert.deepEqual(await own.json(), { tenant_id: tenant.tenant_id, name: `${app.name} tenant` });

        for (const authorization of [
          undefined,
          'Bearer hub_not-a-real-key',
          'Basic abc',
          `Bearer ${tenant.api_key}x`,
        ]) {
          const refused = await fetch(`${base}/v1/tenant`, {
            headers: authorization ? { authorization } : {},
          });
          assert.equal(refused.status, 401);
          assert.equal(refused.headers.get('content-type'), 'application/problem+json; charset=utf-8');
          const problem = (await refused.json()) as Record<string, unknown>;
          assert.equal(problem['status'], 401);
          assert.equal(typeof problem['detail'], 'string');
        }
      } finally {
        assert.equal(await process.stop('SIGTERM'), 0, 'exits 0 after a graceful shutdown');
      }
      assert.ok(!process.output.join('\n').includes('hub_'), 'no API key appears in the logs');
    });
  }

  test('health turns 503 while the database is unreachable and ready again when it is back', async () => {
    const target = new URL(database.url);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const proxied = new URL(database.url);
    proxied.port = String(proxy.port);
    const port = await freePort();
    const app = runProcess('dist/apps/projector/src/main.js', {
      DATABASE_URL: proxied.toString(),
      PROJECTOR_PORT: String(port),
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitForHealthy(base);
      proxy.down();
      const down = await fetch(`${base}/health/ready`);
      assert.equal(down.status, 503);
      const body = (await down.json()) as { status: string; checks: { database: string } };
      assert.equal(body.status, 'unavailable');
      assert.match(body.checks.database, /^down: /);
      proxy.up();
      await waitForHealthy(base);
    } finally {
      await app.stop('SIGTERM');
      await proxy.stop();
    }
  });

  test('ingest refuses to start without SECRETS_KEY, naming it', async () => {
    const app = runProcess('dist/apps/ingest/src/main.js', { DATABASE_URL: database.url });
    assert.equal(await app.exited, 1);
    assert.deepEqual(app.output, [
      'ingest: cannot start: SECRETS_KEY: must be 32 bytes in base64 (openssl rand -base64 32)',
    ]);
  });

  test('a malformed KAFKA_BROKERS stops start-up with one line naming the setting', async () => {
    const app = runProcess('dist/apps/ingest/src/main.js', {
      DATABASE_URL: database.url,
      SECRETS_KEY: TEST_SECRETS_KEY,
      KAFKA_BROKERS: 'not a broker list',
    });
    assert.equal(await app.exited, 1);
    assert.deepEqual(app.output, [
      'ingest: cannot start: KAFKA_BROKERS: must be a comma-separated list of host:port',
    ]);
  });

  test('an unreachable DATABASE_URL stops start-up with one line naming the setting', async () => {
    const closedPort = await freePort();
    const app = runProcess('dist/apps/dispatcher/src/main.js', {
      DATABASE_URL: `postgres://hub:secret-password@127.0.0.1:${closedPort}/nowhere`,
      SECRETS_KEY: TEST_SECRETS_KEY,
    });
    assert.equal(await app.exited, 1);
    assert.equal(app.output.length, 1, app.output.join('\n'));
    assert.match(
      app.output[0]!,
      /^dispatcher: cannot start: DATABASE_URL: cannot use postgres:\/\/hub:\*\*\*@127\.0\.0\.1:\d+\/nowhere: ECONNREFUSED$/,
    );
  });

  test('an unreachable Kafka stops start-up with one line naming KAFKA_BROKERS', async () => {
    const closedPort = await freePort();
    const app = runProcess('dist/apps/ingest/src/main.js', {
      DATABASE_URL: database.url,
      SECRETS_KEY: TEST_SECRETS_KEY,
      KAFKA_BROKERS: `127.0.0.1:${closedPort}`,
    });
    assert.equal(await app.exited, 1);
    const last = app.output.at(-1) ?? '';
    assert.match(last, /^ingest: cannot start: KAFKA_BROKERS: no Kafka broker answered at 127\.0\.0\.1:\d+/);
  });
});
