import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { freePort } from '@hub/persistence';
import { runProcess, waitForHealthy, type AppProcess } from '../support/app-process.js';
import { eventually } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { Receiver } from '../support/receiver.js';
import { changeMessage, stateChange } from '../support/state-changes.js';
import { createTenant } from '../support/tenants.js';
import { transportCases, type TransportFixture } from '../support/transports.js';
import { TEST_TOPICS } from '../support/topic-prefix.js';

/**
 * A burst of changes while the dispatcher is killed with SIGKILL twice and restarted: every
 * matching change still reaches the receiver, and no webhook-id ever arrives with two bodies.
 * And a graceful stop leaves nothing leased behind it.
 */
const cases = await transportCases();
after(stopEmbeddedTestServer);
const TOPICS = TEST_TOPICS;
const CHANGES = 1_200;
const ENTITIES = 120;
const SUBSCRIPTIONS = 2;

for (const transport of cases) {
  describe(
    `dispatcher crash [${transport.name}]`,
    { skip: transport.skip ?? false, timeout: 300_000 },
    () => {
      // One fixture per transport: closing it stops the transport (the Kafka mock cluster).
      let fixture: TransportFixture;
      before(async () => {
        fixture = await transport.setup();
      });
      after(() => fixture?.close());

      test(`[${transport.name}] a dispatcher killed with SIGKILL during a burst delivers every matching change at least once, one body per webhook-id`, async () => {
        const receiver = await new Receiver().start();
        const port = await freePort();
        const env = {
          ...fixture.env,
          SECRETS_KEY: randomBytes(32).toString('base64'),
          DISPATCHER_PORT: String(port),
          OUTBOUND_ALLOW_HTTP: 'true',
          OUTBOUND_ALLOW_PRIVATE: 'true',
          // A short timeout keeps the lease of a killed process's in-flight deliveries short.
          DISPATCH_TIMEOUT: '1s',
          DISPATCH_RETRY_SCHEDULE: '200ms,200ms,200ms,200ms,200ms',
          DISPATCH_POLL_INTERVAL: '50ms',
          LOG_LEVEL: 'error',
        };
        const start = async () => {
          const app = runProcess('dist/apps/dispatcher/src/main.js', env);
          await waitForHealthy(`http://127.0.0.1:${port}`, 60_000);
          return app;
        };
        let app: AppProcess = await start();
        try {
          const tenant = await createTenant(fixture.env, 'Crash tenant');
          for (let i = 0; i < SUBSCRIPTIONS; i++) {
            const created = await fetch(`http://127.0.0.1:${port}/v1/subscriptions`, {
              method: 'POST',
              headers: { authorization: `Bearer ${tenant.api_key}`, 'content-type': 'application/json' },
              body: JSON.stringify({
                endpoint: receiver.url(`/crash-${i}`),
                ordering: i === 0 ? 'entity' : 'none',
              }),
            });
            assert.equal(created.status, 201);
          }
          // Slow enough answers that a kill lands while requests are in flight.
          receiver.on('/crash-0', () => ({ status: 200 }));
          const bus = await fixture.createBus('dispatcher-crash');
          const changes = Array.from({ length: CHANGES }, (_, i) =>
            stateChange({
              tenant: tenant.tenant_id,
              entityId: `pylon-observer:e${i % ENTITIES}`,
              version: Math.floor(i / ENTITIES) + 1,
              changed: ['project.stage'],
              document: { stage: `stage-${i}` },
            }),
          );
          for (let i = 0; i < CHANGES; i += 100) {
            await bus.publish(TOPICS.stateChanges, changes.slice(i, i + 100).map(changeMessage));
          }
          const expected = CHANGES * SUBSCRIPTIONS;
          const distinct = () =>
            new Set(
              receiver.requests
                .filter((r) => !r.body.includes('webhook.validate'))
                .map((r) => r.headers['webhook-id']),
            ).size;
          const seenAtKill: number[] = [];
          for (const fraction of [1 / 4, 1 / 2]) {
            await receiver.waitFor(
              () => distinct() >= expected * fraction,
              120_000,
              `${fraction} of the deliveries`,
            );
            app.child.kill('SIGKILL');
            await app.exited;
            seenAtKill.push(distinct());
            app = await start();
          }
          assert.ok(
            seenAtKill[0]! < expected,
            `killed mid-burst, after ${seenAtKill.join(' and ')} of ${expected}`,
          );
          await receiver.waitFor(() => distinct() >= expected, 120_000, 'every delivery');

          const bodiesById = new Map<string, Set<string>>();
          for (const request of receiver.requests.filter((r) => !r.body.includes('webhook.validate'))) {
            const id = String(request.headers['webhook-id']);
            bodiesById.set(id, (bodiesById.get(id) ?? new Set()).add(request.body));
          }
          assert.equal(bodiesById.size, expected);
          const twoBodies = [...bodiesById].filter(([, bodies]) => bodies.size > 1).map(([id]) => id);
          assert.deepEqual(twoBodies, [], 'no webhook-id with two different bodies');
          for (let i = 0; i < SUBSCRIPTIONS; i++) {
            const got = new Set(
              receiver
                .events(`/crash-${i}`)
                .map((e) => `${String(e['subject'])}@${String((e['data'] as { version: number }).version)}`),
            );
            assert.equal(got.size, CHANGES, `subscription ${i} got every change`);
          }
          await eventually(async () => {
            const [row] = (await fixture.dataSource.query(
              `SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS done, count(*)::int AS all
                 FROM deliveries WHERE tenant_id = $1`,
              [tenant.tenant_id],
            )) as Array<{ done: number; all: number }>;
            return row!.all === expected && row!.done === expected;
          }, 60_000);
        } finally {
          await app.stop('SIGTERM');
          await receiver.stop();
        }
      });

      test(`[${transport.name}] a graceful stop puts back what it had claimed but not started, and records what it had in flight`, async () => {
        const receiver = await new Receiver().start();
        receiver.on('/slow', (request) =>
          request.body.includes('webhook.validate') ? { status: 200 } : 'hang',
        );
        const port = await freePort();
        const app = runProcess('dist/apps/dispatcher/src/main.js', {
          ...fixture.env,
          SECRETS_KEY: randomBytes(32).toString('base64'),
          DISPATCHER_PORT: String(port),
          OUTBOUND_ALLOW_HTTP: 'true',
          OUTBOUND_ALLOW_PRIVATE: 'true',
          DISPATCH_CONCURRENCY: '2',
          DISPATCH_ENDPOINT_CONCURRENCY: '2',
          DISPATCH_TIMEOUT: '2s',
          DISPATCH_POLL_INTERVAL: '50ms',
          LOG_LEVEL: 'error',
        });
        try {
          await waitForHealthy(`http://127.0.0.1:${port}`, 60_000);
          const tenant = await createTenant(fixture.env, 'Stop tenant');
          const created = await fetch(`http://127.0.0.1:${port}/v1/subscriptions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${tenant.api_key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ endpoint: receiver.url('/slow') }),
          });
          assert.equal(created.status, 201, await created.text());
          const bus = await fixture.createBus('dispatcher-stop');
          const changes = Array.from({ length: 10 }, (_, i) =>
            stateChange({
              tenant: tenant.tenant_id,
              entityId: `pylon-observer:stop-${i}`,
              version: 1,
              changed: ['project.stage'],
              document: { stage: 'sold' },
            }),
          );
          await bus.publish(TOPICS.stateChanges, changes.map(changeMessage));
          const statuses = async () =>
            (await fixture.dataSource.query(
              `SELECT status, attempts, count(*)::int AS n FROM deliveries WHERE tenant_id = $1
                GROUP BY status, attempts ORDER BY status, attempts`,
              [tenant.tenant_id],
            )) as Array<{ status: string; attempts: number; n: number }>;
          // Two requests hang in flight and two more are claimed, waiting for a slot.
          await eventually(async () => {
            const sending = (await statuses()).find((row) => row.status === 'sending');
            return (
              receiver.at('/slow').filter((r) => !r.body.includes('webhook.validate')).length === 2 &&
              sending?.n === 4
            );
          }, 30_000);
          assert.equal(await app.stop('SIGTERM'), 0);
          assert.deepEqual(await statuses(), [
            { status: 'pending', attempts: 0, n: 8 },
            { status: 'pending', attempts: 1, n: 2 },
          ]);
        } finally {
          await app.stop('SIGTERM');
          await receiver.stop();
        }
      });
    },
  );
}
