import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { EventBus } from '@hub/bus';
import { freePort } from '@hub/persistence';
import { runProcess, waitForHealthy, type AppProcess } from '../support/app-process.js';
import { unique } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { Receiver } from '../support/receiver.js';
import { changeMessage, stateChange, type ChangeSpec } from '../support/state-changes.js';
import { createTenant, type Tenant } from '../support/tenants.js';
import { postgresLogFixture, type TransportFixture } from '../support/transports.js';
import { TEST_TOPICS } from '../support/topic-prefix.js';

/**
 * The APIs the console reads: a subscription's stats, the tenant's delivery log, replay's dry run
 * and the matching preview. Stats and logs are checked on rows written straight into the tables
 * (known times and durations, on disabled subscriptions so the worker leaves them alone); the
 * preview against a real delivery that came through the bus (the Postgres log) to a local receiver.
 */
after(stopEmbeddedTestServer);

interface Answer {
  status: number;
  type: string;
  body: Record<string, unknown>;
}

interface SeededAttempt {
  statusCode: number | null;
  durationMs: number;
  error?: string;
  /** Seconds before now. */
  ago: number;
}

interface SeededDelivery {
  status: 'pending' | 'succeeded' | 'failed';
  /** Seconds before now that it was created (and its change happened). */
  ago: number;
  attempts?: SeededAttempt[];
}

describe('dispatcher console APIs', { timeout: 240_000 }, () => {
  let fixture: TransportFixture;
  let app: AppProcess;
  let base: string;
  let bus: EventBus;
  let receiver: Receiver;
  let owner: Tenant;
  let other: Tenant;

  before(async () => {
    fixture = await postgresLogFixture();
    receiver = await new Receiver().start();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = runProcess('dist/apps/dispatcher/src/main.js', {
      ...fixture.env,
      SECRETS_KEY: randomBytes(32).toString('base64'),
      DISPATCHER_PORT: String(port),
      OUTBOUND_ALLOW_HTTP: 'true',
      OUTBOUND_ALLOW_PRIVATE: 'true',
      DISPATCH_POLL_INTERVAL: '50ms',
      LOG_LEVEL: 'warn',
    });
    await waitForHealthy(base, 60_000);
    owner = await createTenant(fixture.env, 'Console owner');
    other = await createTenant(fixture.env, 'Console other');
    bus = await fixture.createBus('dispatcher-console-test');
  });
  after(async () => {
    await app?.stop('SIGTERM');
    await receiver?.stop();
    await fixture?.close();
  });

  const call = async (tenant: Tenant, method: string, path: string, body?: unknown): Promise<Answer> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${tenant.api_key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      body: (text ? JSON.parse(text) : null) as Record<string, unknown>,
    };
  };
  const assertProblem = (answer: Answer, status: number, detail: RegExp, label = '') => {
    assert.equal(answer.status, status, `${label} ${JSON.stringify(answer.body)}`);
    assert.match(answer.type, /^application\/problem\+json/, label);
    assert.match(String(answer.body['detail']), detail, label);
  };
  /** Disabled: no handshake, and the worker never claims its deliveries. */
  const createDisabled = async (tenant: Tenant): Promise<string> => {
    const created = await call(tenant, 'POST', '/v1/subscriptions', {
      endpoint: receiver.url('/never'),
      enabled: false,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return String(created.body['id']);
  };
  /** Inserted in order, so a later one has the higher seq (newer in the log). */
  const seed = async (tenant: Tenant, subscriptionId: string, deliveries: SeededDelivery[]) => {
    const ids: string[] = [];
    for (const delivery of deliveries) {
      const id = `dlv_${randomBytes(16).toString('hex')}`;
      await fixture.dataSource.query(
        `INSERT INTO deliveries (tenant_id, id, subscription_id, change_id, event_type, entity_key, body, status,
           attempts, change_time, created_at, completed_at)
         VALUES ($1, $2, $3, $4, 'project.updated', $5, '{}', $6, $7,
           now() - $8 * interval '1 second', now() - $8 * interval '1 second',
           CASE WHEN $6 = 'pending' THEN NULL ELSE now() - $8 * interval '1 second' END)`,
        [
          tenant.tenant_id,
          id,
          subscriptionId,
          `evt_${randomBytes(16).toString('hex')}`,
          `${tenant.tenant_id}/pylon-observer:${id}`,
          delivery.status,
          delivery.attempts?.length ?? 0,
          delivery.ago,
        ],
      );
      for (const attempt of delivery.attempts ?? []) {
        await fixture.dataSource.query(
          `INSERT INTO delivery_attempts (tenant_id, id, delivery_id, attempted_at, status_code, duration_ms, error)
           VALUES ($1, $2, $3, now() - $4 * interval '1 second', $5, $6, $7)`,
          [
            tenant.tenant_id,
            `att_${randomBytes(12).toString('hex')}`,
            id,
            attempt.ago,
            attempt.statusCode,
            attempt.durationMs,
            attempt.error ?? null,
          ],
        );
      }
      ids.push(id);
    }
    return ids;
  };
  const statusesOf = async (subscriptionId: string): Promise<string[]> => {
    const rows = (await fixture.dataSource.query(
      'SELECT status FROM deliveries WHERE subscription_id = $1 ORDER BY seq',
      [subscriptionId],
    )) as Array<{ status: string }>;
    return rows.map((row) => row.status);
  };
  const count = async (): Promise<number> => {
    const rows = (await fixture.dataSource.query('SELECT count(*)::int AS n FROM deliveries')) as Array<{
      n: number;
    }>;
    return rows[0]!.n;
  };
  /** percentile_cont's interpolation is floating point. */
  const assertLatency = (answer: Answer, p50: number, p95: number) => {
    const latency = answer.body['latency_ms'] as { p50: number; p95: number };
    assert.ok(Math.abs(latency.p50 - p50) < 1e-9, `p50 ${latency.p50}, not ${p50}`);
    assert.ok(Math.abs(latency.p95 - p95) < 1e-9, `p95 ${latency.p95}, not ${p95}`);
  };
  const DAY = 86_400;

  test("stats count the window's deliveries and take p50 and p95 of the successful attempts in SQL", async () => {
    const id = await createDisabled(owner);
    const empty = await call(owner, 'GET', `/v1/subscriptions/${id}/stats`);
    assert.equal(empty.status, 200, JSON.stringify(empty.body));
    assert.deepEqual(empty.body, {
      subscription_id: id,
      status: 'disabled',
      window: '24h',
      deliveries: { succeeded: 0, failed: 0, pending: 0 },
      success_rate: null,
      latency_ms: { p50: null, p95: null },
      last_failure: null,
    });

    // Ten successes of 10, 20, … 100 ms in the last day; a slow one two days ago.
    const succeeded = Array.from({ length: 10 }, (_, i) => ({
      status: 'succeeded' as const,
      ago: 600 + i,
      attempts: [{ statusCode: 200, durationMs: (i + 1) * 10, ago: 600 + i }],
    }));
    await seed(owner, id, [
      {
        status: 'succeeded',
        ago: 2 * DAY,
        attempts: [{ statusCode: 204, durationMs: 10_000, ago: 2 * DAY }],
      },
      ...succeeded,
      {
        status: 'failed',
        ago: 500,
        attempts: [
          { statusCode: 500, durationMs: 5, ago: 500 },
          { statusCode: 503, durationMs: 7, ago: 400 },
        ],
      },
      {
        status: 'failed',
        ago: 300,
        attempts: [{ statusCode: null, durationMs: 3_000, error: 'timed out after 3000 ms', ago: 200 }],
      },
      { status: 'pending', ago: 100 },
    ]);

    const day = await call(owner, 'GET', `/v1/subscriptions/${id}/stats`);
    assert.equal(day.status, 200, JSON.stringify(day.body));
    assert.equal(day.body['window'], '24h');
    assert.deepEqual(day.body['deliveries'], { succeeded: 10, failed: 2, pending: 1 });
    assert.equal(day.body['success_rate'], 10 / 12);
    // percentile_cont interpolates: p95 of 10…100 is 90 + 0.55 × 10.
    assertLatency(day, 55, 95.5);
    const lastFailure = day.body['last_failure'] as Record<string, unknown>;
    assert.equal(lastFailure['status_code'], null);
    assert.equal(lastFailure['error'], 'timed out after 3000 ms');
    assert.ok(Math.abs(Date.parse(String(lastFailure['at'])) - (Date.now() - 200_000)) < 30_000);

    const week = await call(owner, 'GET', `/v1/subscriptions/${id}/stats?window=7d`);
    assert.deepEqual(week.body['deliveries'], { succeeded: 11, failed: 2, pending: 1 });
    assertLatency(week, 60, 100 + 0.5 * 9_900);
    const hour = await call(owner, 'GET', `/v1/subscriptions/${id}/stats?window=1h`);
    assert.deepEqual(hour.body['deliveries'], { succeeded: 10, failed: 2, pending: 1 });

    assertProblem(
      await call(owner, 'GET', `/v1/subscriptions/${id}/stats?window=2d`),
      400,
      /window must be 1h, 24h or 7d/,
    );
    assertProblem(await call(other, 'GET', `/v1/subscriptions/${id}/stats`), 404, /no subscription/);
  });

  test("the tenant's delivery log pages newest first across subscriptions, filtered by status and subscription", async () => {
    const tenant = await createTenant(fixture.env, 'Console log');
    const first = await createDisabled(tenant);
    const second = await createDisabled(tenant);
    const [a1, a2] = await seed(tenant, first, [
      { status: 'failed', ago: 60 },
      { status: 'succeeded', ago: 50 },
    ]);
    const [b1, b2] = await seed(tenant, second, [
      { status: 'failed', ago: 40, attempts: [{ statusCode: 500, durationMs: 9, ago: 40 }] },
      { status: 'pending', ago: 30 },
    ]);
    const [a3] = await seed(tenant, first, [{ status: 'failed', ago: 20 }]);
    await seed(other, await createDisabled(other), [{ status: 'failed', ago: 10 }]);
    const ids = (answer: Answer) => (answer.body['data'] as Array<{ id: string }>).map((d) => d.id);

    const all = await call(tenant, 'GET', '/v1/deliveries');
    assert.equal(all.status, 200, JSON.stringify(all.body));
    assert.deepEqual(ids(all), [a3, b2, b1, a2, a1]);
    assert.equal(all.body['next_cursor'], null);
    const failed = await call(tenant, 'GET', '/v1/deliveries?status=failed');
    assert.deepEqual(ids(failed), [a3, b1, a1]);
    const shown = (failed.body['data'] as Array<Record<string, unknown>>)[1]!;
    assert.equal(shown['subscription_id'], second);
    assert.equal(shown['status'], 'failed');
    assert.equal(
      (shown['attempts'] as unknown[]).length,
      1,
      'each with its attempts, as the per-subscription log',
    );

    const page1 = await call(tenant, 'GET', '/v1/deliveries?status=failed&limit=2');
    assert.deepEqual(ids(page1), [a3, b1]);
    const cursor = String(page1.body['next_cursor']);
    const page2 = await call(tenant, 'GET', `/v1/deliveries?status=failed&limit=2&cursor=${cursor}`);
    assert.deepEqual(ids(page2), [a1]);
    assert.equal(page2.body['next_cursor'], null);

    const ofFirst = await call(tenant, 'GET', `/v1/deliveries?subscription_id=${first}&status=failed`);
    assert.deepEqual(ids(ofFirst), [a3, a1]);
    const perSubscription = await call(tenant, 'GET', `/v1/subscriptions/${first}/deliveries?status=failed`);
    assert.deepEqual(ofFirst.body, perSubscription.body, 'the same items as the per-subscription log');

    assertProblem(
      await call(other, 'GET', `/v1/deliveries?subscription_id=${first}`),
      404,
      /no subscription/,
    );
    assertProblem(await call(tenant, 'GET', '/v1/deliveries?status=lost'), 400, /status must be/);
    assertProblem(await call(tenant, 'GET', '/v1/deliveries?subscription_id=x'), 400, /subscription_id/);
    assertProblem(await call(tenant, 'GET', '/v1/deliveries?cursor=12'), 400, /cursor/);
  });

  test('a replay dry run counts what the window holds and queues nothing; without it, replay queues them', async () => {
    const id = await createDisabled(owner);
    await seed(owner, id, [
      { status: 'succeeded', ago: 3 * DAY },
      { status: 'succeeded', ago: 600 },
      { status: 'failed', ago: 500 },
      { status: 'pending', ago: 400 },
    ]);
    const since = new Date(Date.now() - DAY * 1_000).toISOString();
    const before = await statusesOf(id);

    const dry = await call(owner, 'POST', `/v1/subscriptions/${id}/replay`, { since, dry_run: true });
    assert.equal(dry.status, 202, JSON.stringify(dry.body));
    assert.equal(dry.body['replayed'], 2);
    assert.equal(dry.body['dry_run'], true);
    assert.deepEqual(await statusesOf(id), before, 'nothing queued');

    const real = await call(owner, 'POST', `/v1/subscriptions/${id}/replay`, { since });
    assert.equal(real.status, 202);
    assert.equal(real.body['replayed'], 2);
    assert.equal(real.body['dry_run'], false);
    assert.deepEqual(await statusesOf(id), ['succeeded', 'pending', 'pending', 'pending']);

    assertProblem(
      await call(owner, 'POST', `/v1/subscriptions/${id}/replay`, { since, dry_run: 'yes' }),
      400,
      /dry_run must be a boolean/,
    );
    assertProblem(
      await call(other, 'POST', `/v1/subscriptions/${id}/replay`, { since, dry_run: true }),
      404,
      /no subscription/,
    );
  });

  test('the preview matches by the real code: reasons when not, and the body a real delivery carries when it does', async () => {
    const path = `/${unique('preview')}`;
    const fields = {
      event_types: ['project.*'],
      trigger_fields: ['project.stage'],
      payload_fields: ['project.stage', 'project.systems.modules'],
    };
    const created = await call(owner, 'POST', '/v1/subscriptions', {
      endpoint: receiver.url(path),
      ...fields,
    });
    assert.equal(created.body['status'], 'active', JSON.stringify(created.body));
    const spec = (entityId: string, extra: Partial<ChangeSpec> = {}): ChangeSpec => ({
      tenant: owner.tenant_id,
      entityId,
      version: 1,
      changed: ['project.notes', 'project.stage'],
      document: { stage: 'Sold', notes: 'private', systems: [{ modules: 20, inverters: 1 }] },
      ...extra,
    });
    const sent = stateChange(spec(`pylon-observer:${unique('sent')}`));
    const untriggered = stateChange(
      spec(`pylon-observer:${unique('notes')}`, { changed: ['project.notes'] }),
    );
    const customer = stateChange(spec(`pylon-observer:${unique('c')}`, { entityType: 'customer' }));
    await bus.publish(TEST_TOPICS.stateChanges, [changeMessage(sent)]);
    await receiver.waitFor(() => receiver.events(path).length >= 1, 30_000, 'the real delivery');
    const real = JSON.parse(receiver.events(path)[0]!.received.body) as Record<string, unknown>;
    const stored = await count();

    const preview = await call(owner, 'POST', '/v1/subscriptions/preview', {
      subscription: fields,
      changes: [sent, untriggered, customer],
    });
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    const [matched, noTrigger, noType] = preview.body['data'] as Array<Record<string, unknown>>;
    assert.equal(matched!['index'], 0);
    assert.equal(matched!['event_type'], 'project.created');
    assert.equal(matched!['entity_id'], sent['subject']);
    assert.equal(matched!['matched'], true);
    assert.equal(matched!['reason'], null);
    const body = matched!['body'] as Record<string, unknown>;
    assert.match(String(body['id']), /^dlv_[0-9a-f]{32}$/);
    // Only the id differs: it derives from the subscription, and a preview's is a placeholder.
    assert.deepEqual({ ...body, id: 'same' }, { ...real, id: 'same' });
    assert.deepEqual(real['data'], {
      changed_fields: ['project.notes', 'project.stage'],
      version: 1,
      project: { stage: 'Sold', systems: [{ modules: 20 }] },
    });
    assert.deepEqual(noTrigger, {
      index: 1,
      event_type: 'project.created',
      entity_id: untriggered['subject'],
      matched: false,
      reason: 'no trigger field changed',
      body: null,
    });
    assert.equal(noType!['reason'], 'event type not subscribed');
    assert.equal(noType!['body'], null);

    const defaults = await call(owner, 'POST', '/v1/subscriptions/preview', {
      subscription: {},
      changes: [untriggered],
    });
    const [withDefaults] = defaults.body['data'] as Array<Record<string, unknown>>;
    assert.equal(withDefaults!['matched'], true, 'no fields: every type, the default triggers');
    assert.deepEqual((withDefaults!['body'] as { data: Record<string, unknown> }).data['project'], {
      stage: 'Sold',
      notes: 'private',
      systems: [{ modules: 20, inverters: 1 }],
    });
    assert.equal(await count(), stored, 'a preview stores no delivery');
    assert.equal(receiver.events(path).length, 1, 'and sends nothing');
  });

  test('a preview refuses malformed changes and subscriptions with a 400 naming the field', async () => {
    const good = stateChange({
      tenant: owner.tenant_id,
      entityId: 'pylon-observer:1',
      version: 1,
      changed: ['project.stage'],
      document: { stage: 'Lead' },
    });
    const preview = (body: unknown) => call(owner, 'POST', '/v1/subscriptions/preview', body);
    const cases: Array<[unknown, RegExp]> = [
      [
        { subscription: {}, changes: [good, { ...good, id: 'evt_1' }] },
        /changes\[1\] is not a dispatchable event: id must be/,
      ],
      [
        { subscription: {}, changes: [{ ...good, data: 'x' }] },
        /changes\[0\] is not a dispatchable event: data must be an object/,
      ],
      [{ subscription: {}, changes: [42] }, /changes\[0\] must be an object/],
      [{ subscription: {}, changes: 'x' }, /changes must be an array/],
      [
        { subscription: {}, changes: Array.from({ length: 101 }, () => good) },
        /changes must contain no more than 100/,
      ],
      [{ changes: [good] }, /subscription must be an object/],
      [
        { subscription: { trigger_fields: ['stage'] }, changes: [good] },
        /subscription\.trigger_fields\[0\] "stage" must be 2 to/,
      ],
      [{ subscription: { event_types: ['project updated'] }, changes: [good] }, /event_types/],
      [{ subscription: { endpoint: 'https://x.invalid/' }, changes: [good] }, /endpoint should not exist/],
      [
        { subscription: {}, changes: [{ ...good, tenant: other.tenant_id }] },
        /changes\[0\]\.tenant is not this API key's tenant/,
      ],
    ];
    for (const [body, detail] of cases)
      assertProblem(await preview(body), 400, detail, JSON.stringify(body).slice(0, 120));
  });
});
