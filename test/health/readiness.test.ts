import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { freePort } from '@hub/persistence';
import { createTestDatabase, stopEmbeddedTestServer, type TestDatabase } from '../support/database.js';
import { runProcess, startApps, waitForHealthy, type AppProcess } from '../support/app-process.js';
import { transportCases } from '../support/transports.js';

/**
 * Readiness against the real causes of a lane not consuming, on the Postgres log, where the test
 * can hold what a consumer needs from its own database session: the partition table a consumer
 * claims from before it runs (a lane stays starting), every member slot of a consumer group (a
 * lane cannot join: a lane thread dies at start, an in-thread consumer stays down), and the same
 * table while the consumer loop reads it (a lane's work in flight holds up shutdown).
 */
after(stopEmbeddedTestServer);

const kafka = (await transportCases()).find((transport) => transport.name === 'kafka')!;

interface Health {
  status: number;
  body: { status: string; checks: Record<string, string>; lanes: Array<{ lane: string; state: string }> };
}

const MEMBER_SLOTS = 256;

describe('readiness', { timeout: 240_000 }, () => {
  let database: TestDatabase;
  let session: pg.Client;
  before(async () => {
    database = await createTestDatabase();
    session = new pg.Client({ connectionString: database.url });
    await session.connect();
    // The first start runs the migrations and creates the topics.
    const first = await startProjector();
    await waitForHealthy(first.base);
    await first.app.stop('SIGTERM');
  });
  after(async () => {
    await session?.end();
    await database?.drop();
  });

  test('the projector is live at once, and ready only once its lane threads consume', async () => {
    // The app starts (its topics exist already) while its lane waits to claim partitions.
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE bus_partitions IN ACCESS EXCLUSIVE MODE');
    const { app, base } = await startProjector();
    try {
      await waitForStatus(`${base}/health/live`, 200);
      const starting = await health(`${base}/health/ready`);
      assert.equal(starting.status, 503, JSON.stringify(starting.body));
      assert.equal(starting.body.status, 'unavailable');
      assert.equal(starting.body.checks['database'], 'up');
      assert.equal(starting.body.checks['bus'], 'up');
      assert.match(starting.body.checks['lanes']!, /^down: lane thread 1 starting/);
      assert.deepEqual((await health(`${base}/health`)).body, starting.body, '/health is the same check');

      await blocker.query('ROLLBACK');
      const ready = await waitForStatus(`${base}/health/ready`, 200);
      assert.deepEqual(ready.body.checks, { database: 'up', bus: 'up', lanes: 'up', serving: 'up' });
      assert.ok(ready.body.lanes.length > 0 && ready.body.lanes.every((lane) => lane.state === 'running'));
      assert.equal((await health(`${base}/health/live`)).status, 200);
      assert.match(await metrics(base), /^hub_ready\{app="projector"\} 1$/m);
    } finally {
      await blocker.end();
      assert.equal(await app.stop('SIGTERM'), 0);
    }
  });

  test('a lane thread that keeps dying at start keeps the projector unready; it is ready once the lane starts', async () => {
    const slots = await holdEveryMemberSlot('projector');
    const { app, base } = await startProjector();
    try {
      await app.waitForLine(/lane 1 stopped \(exit code 1\)/);
      const dying = await health(`${base}/health/ready`);
      assert.equal(dying.status, 503, JSON.stringify(dying.body));
      assert.match(
        dying.body.checks['lanes']!,
        /^down: .*lane thread 1 (restarting \(exit code 1\)|starting)/,
      );
      assert.equal((await health(`${base}/health/live`)).status, 200, 'live while a lane dies');
      assert.match(await metrics(base), /^hub_ready\{app="projector"\} 0$/m);

      await releaseMemberSlots('projector', slots);
      await waitForStatus(`${base}/health/ready`, 200);
    } finally {
      assert.equal(await app.stop('SIGTERM'), 0);
    }
  });

  test('ready turns 503 as soon as shutdown begins, while live stays 200 until the lanes have stopped', async () => {
    const { app, base } = await startProjector();
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    try {
      await waitForStatus(`${base}/health/ready`, 200);
      // A consumer reads its partitions at every claim (every 2 s): this holds its loop, so that
      // stopping its lane waits for us, as it would for a batch in flight.
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE bus_partitions IN ACCESS EXCLUSIVE MODE');
      await waitUntil(
        async () => (await consumersWaitingOnALock(database.url)) > 0,
        'a lane waiting on the lock',
      );
      assert.equal((await health(`${base}/health/ready`)).status, 200, 'ready before the signal');

      process.kill(-app.child.pid!, 'SIGTERM');
      await app.waitForLine(/SIGTERM: finishing work in flight/);
      const stopping = await health(`${base}/health/ready`);
      assert.equal(stopping.status, 503);
      assert.equal(stopping.body.checks['serving'], 'down: shutting down');
      assert.equal((await health(`${base}/health/live`)).status, 200, 'live during shutdown');
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
    assert.equal(await app.exited, 0);
  });

  test('an in-thread consumer that loses its group keeps the dispatcher unready until it is back', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const app = runProcess('dist/apps/dispatcher/src/main.js', {
      DATABASE_URL: database.url,
      DISPATCHER_PORT: String(port),
      SECRETS_KEY: randomBytes(32).toString('base64'),
    });
    try {
      const ready = await waitForStatus(`${base}/health/ready`, 200);
      assert.deepEqual(ready.body.lanes, [{ lane: 'dispatcher.state-changes', state: 'running' }]);
      // Every other member slot first, then its connection's: it cannot rejoin until we let go.
      const slots = await holdEveryMemberSlot('dispatcher', false);
      await session.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hub-bus:dispatcher'",
      );
      await waitUntil(async () => {
        for (let slot = 0; slot < MEMBER_SLOTS; slot++) {
          if (!slots.has(slot) && (await tryLockMemberSlot('dispatcher', slot))) slots.add(slot);
        }
        return slots.size === MEMBER_SLOTS;
      }, 'every member slot of the dispatcher group');
      const down = await waitForStatus(`${base}/health/ready`, 503);
      assert.equal(down.body.checks['lanes'], 'down: dispatcher.state-changes down');
      assert.equal(down.body.checks['database'], 'up');
      // It keeps trying to rejoin, and each failed try closes its connection.
      await waitUntil(
        async () => app.output.filter((line) => line.includes('already has 256 consumers')).length >= 3,
        'three failed tries to rejoin',
      );
      // A closed connection leaves pg_stat_activity when its backend has exited, a moment after
      // the close on a busy machine; a leaked one stays, and each try would add another.
      await waitUntil(async () => {
        const { rows } = await session.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'hub-bus:dispatcher'",
        );
        return rows[0]!.n <= 1;
      }, 'at most the connection of the try in progress (failed tries close theirs)');

      await releaseMemberSlots('dispatcher', slots);
      await waitForStatus(`${base}/health/ready`, 200);
    } finally {
      assert.equal(await app.stop('SIGTERM'), 0);
    }
  });

  async function startProjector(): Promise<{ app: AppProcess; base: string }> {
    const port = await freePort();
    const app = runProcess('dist/apps/projector/src/main.js', {
      DATABASE_URL: database.url,
      PROJECTOR_PORT: String(port),
      PROJECTOR_CONSUMERS: '1',
    });
    return { app, base: `http://127.0.0.1:${port}` };
  }

  /** Takes every free member slot of the group (see PostgresLogSubscription.join). */
  async function holdEveryMemberSlot(group: string, all = true): Promise<Set<number>> {
    const held = new Set<number>();
    for (let slot = 0; slot < MEMBER_SLOTS; slot++) {
      if (await tryLockMemberSlot(group, slot)) held.add(slot);
    }
    if (all) assert.equal(held.size, MEMBER_SLOTS, 'no consumer of the group is running yet');
    return held;
  }

  async function tryLockMemberSlot(group: string, slot: number): Promise<boolean> {
    const { rows } = await session.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_lock(hashtext($1), $2) AS ok',
      [`hub_bus_member:${group}`, slot],
    );
    return rows[0]!.ok;
  }

  async function releaseMemberSlots(group: string, slots: Set<number>): Promise<void> {
    for (const slot of slots) {
      await session.query('SELECT pg_advisory_unlock(hashtext($1), $2)', [`hub_bus_member:${group}`, slot]);
    }
  }
});

describe('[kafka] readiness', { skip: kafka.skip ?? false, timeout: 180_000 }, () => {
  test('[kafka] each app is ready once every one of its lanes has joined its group', async () => {
    const fixture = await kafka.setup();
    const apps = await startApps(['ingest', 'projector', 'dispatcher'], fixture.env);
    try {
      const lanes = async (url: string) => {
        const ready = await health(`${url}/health/ready`);
        assert.equal(ready.status, 200, JSON.stringify(ready.body));
        assert.equal((ready.body as unknown as { transport: string }).transport, 'kafka');
        return ready.body.lanes;
      };
      assert.deepEqual(await lanes(apps.urls.ingest), []);
      assert.deepEqual(await lanes(apps.urls.dispatcher), [
        { lane: 'dispatcher.state-changes', state: 'running' },
      ]);
      // PROJECTOR_CONSUMERS=0 by default: the app's thread runs the lanes itself.
      assert.deepEqual(await lanes(apps.urls.projector), [
        { lane: 'projector.canonical', state: 'running' },
        { lane: 'projector.canonical.slow', state: 'running' },
      ]);
    } finally {
      await apps.stop();
      await fixture.close();
    }
  });
});

async function health(url: string): Promise<Health> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Health['body'] };
}

async function metrics(base: string): Promise<string> {
  return (await fetch(`${base}/metrics`)).text();
}

/** Polls until the endpoint answers `status` (the app may not listen yet); fails after a minute. */
async function waitForStatus(url: string, status: number): Promise<Health> {
  let last: Health | string = 'no answer';
  await waitUntil(async () => {
    last = await health(url).catch((error: unknown) => String(error));
    return typeof last !== 'string' && last.status === status;
  }, `${url} answering ${status}`).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; last: ${JSON.stringify(last)}`);
  });
  return last as unknown as Health;
}

async function waitUntil(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`no ${what} within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function consumersWaitingOnALock(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE application_name LIKE 'hub-bus:projector%' AND wait_event_type = 'Lock'`,
    );
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}
