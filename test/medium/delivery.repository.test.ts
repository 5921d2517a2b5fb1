import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { defineQuery, execute } from '@hub/persistence';
import { ApiKeyRepository, TenancyService, TenantRepository } from '@hub/tenancy';
import { AttemptOutcomes } from '../../apps/dispatcher/src/deliveries/attempt-outcomes.js';
import { SendWakeups, type WakeReason } from '../../apps/dispatcher/src/deliveries/send-wakeups.js';
import { DISPATCHER_MIGRATIONS } from '../../apps/dispatcher/src/migrations.js';
import type { DispatcherConfig } from '../../apps/dispatcher/src/config/dispatcher.config.js';
import type { OperationalEvents } from '../../apps/dispatcher/src/operational/operational-events.js';
import {
  CLAIM_DUE,
  DeliveryRepository,
  type AttemptRecord,
  type ClaimedDelivery,
  type NewDelivery,
} from '../../apps/dispatcher/src/deliveries/delivery.repository.js';
import {
  SubscriptionRepository,
  type NewSubscription,
  type Ordering,
} from '../../apps/dispatcher/src/subscriptions/subscription.repository.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { newSubscription } from './dispatcher-tables.js';
import { openMediumDatabase, type MediumDatabase } from './medium-database.js';

after(stopEmbeddedTestServer);

const NO_HELD = new Map<string, number>();

/** SendWakeups as the worker has it, remembering why it was rung. */
class RecordedWakeups extends SendWakeups {
  readonly rung: WakeReason[] = [];
  override ring(reason: WakeReason): void {
    this.rung.push(reason);
    super.ring(reason);
  }
}

/** A node of EXPLAIN (FORMAT JSON)'s plan, as far as these tests read it. */
interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Every node of a plan that scans a table, in the plan's order. */
function scansOf(node: PlanNode): PlanNode[] {
  const below = (node.Plans ?? []).flatMap(scansOf);
  return node['Node Type'].includes('Scan') && node['Relation Name'] !== undefined ? [node, ...below] : below;
}

describe('DeliveryRepository', () => {
  let db: MediumDatabase;
  let deliveries: DeliveryRepository;
  let subscriptions: SubscriptionRepository;
  before(async () => {
    db = await openMediumDatabase({ migrations: DISPATCHER_MIGRATIONS });
    deliveries = new DeliveryRepository(db.dataSource);
    subscriptions = new SubscriptionRepository(db.dataSource);
  });
  after(() => db?.close());
  // claim() serves every tenant: each test starts from an empty outbox.
  beforeEach(() => execute(db.dataSource, defineQuery('DELETE FROM subscriptions')));

  const subscription = async (tenantId: string, changes: Partial<NewSubscription> = {}) => {
    const row = newSubscription(tenantId, changes);
    assert.equal(await subscriptions.createWithinQuota(row, 100), true);
    return row;
  };

  let changes = 0;
  const delivery = (
    tenantId: string,
    subscriptionId: string,
    changes_: Partial<NewDelivery> = {},
  ): NewDelivery => {
    changes += 1;
    return {
      tenantId,
      id: `dlv_${randomUUID()}`,
      subscriptionId,
      changeId: `chg_${changes}`,
      eventType: 'project.updated',
      entityKey: `project:${changes}`,
      body: `{"n":${changes}}`,
      changeTime: new Date(Date.UTC(2026, 0, 1, 0, 0, changes % 60)).toISOString(),
      ...changes_,
    };
  };

  const outcome = (
    tenantId: string,
    deliveryId: string,
    changes_: Partial<AttemptRecord> = {},
  ): AttemptRecord => ({
    tenantId,
    attemptId: `att_${randomUUID()}`,
    deliveryId,
    attemptedAt: new Date(),
    statusCode: 200,
    durationMs: 12,
    error: null,
    responseBody: 'ok',
    status: 'succeeded',
    nextAttemptAt: null,
    ...changes_,
  });

  test('insertMatched stores each (subscription, change) once, in the caller’s transaction', async () => {
    const sub = await subscription(db.tenantA);
    const first = delivery(db.tenantA, sub.id);
    const second = delivery(db.tenantA, sub.id);
    assert.equal((await deliveries.insertMatched([])).inserted, 0);
    assert.equal((await deliveries.insertMatched([first, second])).inserted, 2);
    assert.equal((await deliveries.insertMatched([first, delivery(db.tenantA, sub.id)])).inserted, 1);
    const rolledBack = delivery(db.tenantA, sub.id);
    await assert.rejects(
      db.dataSource.transaction(async (manager) => {
        assert.equal((await deliveries.insertMatched([rolledBack], manager)).inserted, 1);
        throw new Error('the consumer failed');
      }),
    );
    assert.equal(await deliveries.findById(db.tenantA, rolledBack.id), null);
    const stored = await deliveries.findById(db.tenantA, first.id);
    assert.equal(stored?.body, first.body);
    assert.equal(stored?.status, 'pending');
    assert.equal(stored?.attempts, 0);
    assert.equal(stored?.change_time.toISOString(), first.changeTime);
    assert.equal(typeof stored?.seq, 'string');
    assert.equal(await deliveries.findById(db.tenantB, first.id), null);
  });

  test('claim leases due deliveries of active subscriptions, with what signing needs', async () => {
    const active = await subscription(db.tenantA);
    const paused = await subscription(db.tenantB, { status: 'disabled' });
    const due = delivery(db.tenantA, active.id);
    await deliveries.insertMatched([due, delivery(db.tenantB, paused.id)]);
    const claimed = await deliveries.claim(10, 10, 60_000, NO_HELD);
    assert.equal(claimed.length, 1);
    const [row] = claimed;
    assert.equal(row?.id, due.id);
    assert.equal(row?.tenant_id, db.tenantA);
    assert.equal(row?.body, due.body);
    assert.equal(row?.endpoint, active.endpoint);
    assert.deepEqual(row?.headers, active.headers);
    assert.equal(row?.signature_scheme, 'standard-webhooks');
    assert.ok(row?.secret_sealed.equals(active.secret_sealed));
    assert.equal(row?.ordering, 'none');
    assert.ok(row!.lease_until.getTime() > Date.now());
    assert.equal((await deliveries.findById(db.tenantA, due.id))?.status, 'sending');
    assert.deepEqual(await deliveries.claim(10, 10, 60_000, NO_HELD), []);
  });

  /** The plan of the claim's statement under a plan_cache_mode, as its UPDATE would run now. */
  const claimPlan = async (mode: string): Promise<PlanNode> => {
    const runner = db.dataSource.createQueryRunner();
    try {
      await runner.query(`PREPARE claim_plan (int, int, int, text[], int[]) AS ${CLAIM_DUE.text}`);
      await runner.query(`SET plan_cache_mode = ${mode}`);
      const [explained] = (await runner.query(
        `EXPLAIN (FORMAT JSON) EXECUTE claim_plan (256, 64, 25000, '{}', '{}')`,
      )) as Array<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>;
      await runner.query('DEALLOCATE claim_plan');
      await runner.query('RESET plan_cache_mode');
      return explained!['QUERY PLAN'][0].Plan;
    } finally {
      await runner.release();
    }
  };

  test('claim finds each delivery it leases by primary key, however long the history since ANALYZE', async () => {
    // As a running installation has it: a dozen tenants' subscriptions, statistics taken while
    // their history was short (a few deliveries each), then hundreds of finished deliveries since.
    const tenants = new TenancyService(
      new TenantRepository(db.dataSource),
      new ApiKeyRepository(db.dataSource),
    );
    const tenantIds = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => (await tenants.createTenant(`Plan ${i}`)).tenant_id),
    );
    const subs = await Promise.all(tenantIds.map((tenantId) => subscription(tenantId)));
    const some = (count: number) =>
      subs.flatMap((s) => Array.from({ length: count }, () => delivery(s.tenant_id, s.id)));
    const finishAll = () =>
      execute(db.dataSource, defineQuery(`UPDATE deliveries SET status = 'succeeded', completed_at = now()`));
    await deliveries.insertMatched(some(2));
    await finishAll();
    await execute(db.dataSource, defineQuery('ANALYZE deliveries, subscriptions'));
    await deliveries.insertMatched(some(300));
    await finishAll();
    await deliveries.insertMatched(some(1));

    // The repository runs it as a named prepared statement, which Postgres plans either with the
    // parameters' values (custom) or without them (generic, once it looks no dearer): both plans.
    for (const mode of ['force_custom_plan', 'force_generic_plan']) {
      const scans = scansOf(await claimPlan(mode)).filter((node) => node['Relation Name'] === 'deliveries');
      // What is due (the partial index of pending rows), an earlier open delivery of the same
      // entity (ordering), and the rows to update: none walks a subscription's whole history.
      assert.deepEqual(
        scans.map((node) => node['Index Name']).sort(),
        ['deliveries_due_by_subscription', 'deliveries_open_by_entity', 'deliveries_pkey'],
        mode,
      );
    }
    assert.equal((await deliveries.claim(256, 64, 60_000, NO_HELD)).length, subs.length);
  });

  test('claim respects the limit, the per-subscription share, what is held, and entity order', async () => {
    const busy = await subscription(db.tenantA);
    const ordered = await subscription(db.tenantB, { ordering: 'entity' });
    const sameEntity = [
      delivery(db.tenantB, ordered.id, { entityKey: 'project:same' }),
      delivery(db.tenantB, ordered.id, { entityKey: 'project:same' }),
    ];
    await deliveries.insertMatched(Array.from({ length: 4 }, () => delivery(db.tenantA, busy.id)));
    await deliveries.insertMatched(sameEntity);
    // Three slots per subscription, two of busy's already held by this process.
    const first = await deliveries.claim(10, 3, 60_000, new Map([[busy.id, 2]]));
    assert.equal(first.filter((row) => row.subscription_id === busy.id).length, 1);
    assert.deepEqual(
      first.filter((row) => row.subscription_id === ordered.id).map((row) => row.id),
      [sameEntity[0]!.id],
    );
    assert.equal((await deliveries.claim(1, 10, 60_000, NO_HELD)).length, 1, 'the limit');
    const rest = await deliveries.claim(10, 10, 60_000, NO_HELD);
    assert.equal(rest.length, 2);
    assert.ok(
      rest.every((row) => row.subscription_id === busy.id),
      'a later delivery of the same entity waits while the earlier one is open',
    );
  });

  test('insertMatched stores the deliveries handed over already claimed, unless their entity has an open one', async () => {
    const sub = await subscription(db.tenantA);
    const open = delivery(db.tenantA, sub.id, { entityKey: 'project:busy' });
    await deliveries.insertMatched([open]);
    const handed = delivery(db.tenantA, sub.id);
    const behindOpen = delivery(db.tenantA, sub.id, { entityKey: 'project:busy' });
    const notOffered = delivery(db.tenantA, sub.id);
    const before = Date.now();
    const stored = await deliveries.insertMatched([handed, behindOpen, notOffered], db.dataSource, {
      ids: new Set([handed.id, behindOpen.id]),
      leaseMs: 60_000,
    });
    assert.equal(stored.inserted, 3);
    assert.deepEqual(
      stored.claimed.map((row) => row.id),
      [handed.id],
    );
    const lease = stored.claimed[0]!.lease_until.getTime();
    assert.ok(lease >= before + 59_000 && lease <= Date.now() + 60_000, 'leased as a claim leases');
    assert.equal((await deliveries.findById(db.tenantA, handed.id))?.status, 'sending');
    assert.equal((await deliveries.findById(db.tenantA, behindOpen.id))?.status, 'pending');
    assert.equal((await deliveries.findById(db.tenantA, notOffered.id))?.status, 'pending');

    // A claim never takes it a second time (the subscription's ordering is none, so the one
    // behind the open delivery is claimable); releasing it by its lease queues it like any claim.
    const claimedLater = await deliveries.claim(10, 10, 60_000, NO_HELD);
    assert.deepEqual(
      claimedLater.map((row) => row.id).sort(),
      [open.id, behindOpen.id, notOffered.id].sort(),
    );
    await deliveries.release([
      { tenant_id: db.tenantA, id: handed.id, lease_until: stored.claimed[0]!.lease_until },
    ]);
    assert.equal((await deliveries.findById(db.tenantA, handed.id))?.status, 'pending');

    // Seen before: not stored again, so not handed over again.
    const again = await deliveries.insertMatched([handed], db.dataSource, {
      ids: new Set([handed.id]),
      leaseMs: 60_000,
    });
    assert.deepEqual(again, { inserted: 0, claimed: [] });
  });

  test('release gives back only the claim it names; the lease sweep takes back expired ones', async () => {
    const sub = await subscription(db.tenantA);
    const kept = delivery(db.tenantA, sub.id);
    const expiring = delivery(db.tenantA, sub.id);
    await deliveries.insertMatched([kept, expiring]);
    const claimed = await deliveries.claim(10, 10, 60_000, NO_HELD);
    assert.equal(claimed.length, 2);
    const keptClaim = claimed.find((row) => row.id === kept.id)!;
    await deliveries.release([{ ...keptClaim, lease_until: new Date(keptClaim.lease_until.getTime() + 1) }]);
    assert.equal((await deliveries.findById(db.tenantA, kept.id))?.status, 'sending');
    await deliveries.release([]);
    await deliveries.release([keptClaim]);
    assert.equal((await deliveries.findById(db.tenantA, kept.id))?.status, 'pending');

    assert.equal(await deliveries.releaseExpiredLeases(), 0);
    await execute(
      db.dataSource,
      defineQuery("UPDATE deliveries SET lease_until = now() - interval '1 second' WHERE id = $1"),
      [expiring.id],
    );
    assert.equal(await deliveries.releaseExpiredLeases(), 1);
    assert.equal((await deliveries.findById(db.tenantA, expiring.id))?.status, 'pending');
  });

  test('recordAttempts logs attempts and moves deliveries on, skipping ones deleted meanwhile', async () => {
    const sub = await subscription(db.tenantA);
    const gone = await subscription(db.tenantA);
    const ok = delivery(db.tenantA, sub.id);
    const retry = delivery(db.tenantA, sub.id);
    const orphan = delivery(db.tenantA, gone.id);
    await deliveries.insertMatched([ok, retry, orphan]);
    await deliveries.claim(10, 10, 60_000, NO_HELD);
    await subscriptions.delete(db.tenantA, gone.id);
    const nextAt = new Date(Date.now() + 60_000);
    await deliveries.recordAttempts([]);
    await deliveries.recordAttempts([
      outcome(db.tenantA, ok.id),
      outcome(db.tenantA, retry.id, {
        status: 'pending',
        statusCode: 503,
        error: 'HTTP 503',
        nextAttemptAt: nextAt,
      }),
      outcome(db.tenantA, orphan.id),
    ]);
    const done = await deliveries.findById(db.tenantA, ok.id);
    assert.equal(done?.status, 'succeeded');
    assert.equal(done?.attempts, 1);
    assert.equal(done?.last_status_code, 200);
    assert.ok(done?.completed_at instanceof Date);
    const waiting = await deliveries.findById(db.tenantA, retry.id);
    assert.equal(waiting?.status, 'pending');
    assert.equal(waiting?.last_error, 'HTTP 503');
    assert.equal(waiting?.next_attempt_at.getTime(), nextAt.getTime());
    assert.equal(waiting?.completed_at, null);

    const attempts = await deliveries.attemptsOf(db.tenantA, [ok.id, retry.id, orphan.id]);
    assert.deepEqual(attempts.map((a) => a.delivery_id).sort(), [ok.id, retry.id].sort());
    const failed = attempts.find((a) => a.delivery_id === retry.id);
    assert.equal(failed?.status_code, 503);
    assert.equal(failed?.duration_ms, 12);
    assert.ok(failed?.attempted_at instanceof Date);
    assert.deepEqual(await deliveries.attemptsOf(db.tenantB, [ok.id]), []);
    assert.deepEqual(await deliveries.attemptsOf(db.tenantA, []), []);
  });

  test('listBySubscription pages newest first, filters by status, and stays in its tenant', async () => {
    const sub = await subscription(db.tenantA);
    const rows = Array.from({ length: 3 }, () => delivery(db.tenantA, sub.id));
    await deliveries.insertMatched(rows);
    const page = await deliveries.listBySubscription(db.tenantA, sub.id, { limit: 2 });
    assert.deepEqual(
      page.map((row) => row.id),
      [rows[2]!.id, rows[1]!.id],
    );
    const rest = await deliveries.listBySubscription(db.tenantA, sub.id, {
      limit: 2,
      beforeSeq: page[1]!.seq,
    });
    assert.deepEqual(
      rest.map((row) => row.id),
      [rows[0]!.id],
    );
    assert.equal(
      (await deliveries.listBySubscription(db.tenantA, sub.id, { limit: 10, status: 'failed' })).length,
      0,
    );
    assert.equal(
      (await deliveries.listBySubscription(db.tenantA, sub.id, { limit: 10, status: 'pending' })).length,
      3,
    );
    assert.deepEqual(await deliveries.listBySubscription(db.tenantB, sub.id, { limit: 10 }), []);
  });

  test('requeue sends a delivery again unless it is being sent; requeueWindow replays finished ones', async () => {
    const sub = await subscription(db.tenantA);
    const early = delivery(db.tenantA, sub.id, { changeTime: '2026-01-01T00:00:00.000Z' });
    const late = delivery(db.tenantA, sub.id, { changeTime: '2026-02-01T00:00:00.000Z' });
    await deliveries.insertMatched([early, late]);
    await deliveries.claim(10, 10, 60_000, NO_HELD);
    assert.equal(await deliveries.requeue(db.tenantA, early.id), null, 'being sent');
    await deliveries.recordAttempts([
      outcome(db.tenantA, early.id, { status: 'failed', statusCode: 400 }),
      outcome(db.tenantA, late.id),
    ]);
    assert.equal(await deliveries.requeue(db.tenantB, early.id), null);
    const requeued = await deliveries.requeue(db.tenantA, early.id);
    assert.equal(requeued?.id, early.id);
    assert.equal(requeued?.status, 'pending');
    assert.equal(requeued?.attempts, 0);
    assert.equal(requeued?.completed_at, null);

    const since = new Date('2026-01-15T00:00:00Z');
    const until = new Date('2026-03-01T00:00:00Z');
    assert.equal(await deliveries.requeueWindow(db.tenantB, sub.id, since, until), 0);
    assert.equal(await deliveries.requeueWindow(db.tenantA, sub.id, since, until), 1);
    assert.equal((await deliveries.findById(db.tenantA, late.id))?.status, 'pending');
    assert.equal(await deliveries.requeueWindow(db.tenantA, sub.id, since, until), 0, 'no longer finished');
  });
  test('counts open deliveries of every tenant for /metrics: never attempted, and attempted with more to come', async () => {
    assert.deepEqual(await deliveries.countOpenByState(), { pending: 0, retrying: 0 });
    const a = await subscription(db.tenantA);
    const b = await subscription(db.tenantB);
    const [fresh, retried, done, claimed] = [
      delivery(db.tenantA, a.id),
      delivery(db.tenantA, a.id),
      delivery(db.tenantB, b.id),
      delivery(db.tenantB, b.id),
    ];
    await deliveries.insertMatched([retried, done]);
    await deliveries.claim(10, 10, 60_000, NO_HELD);
    await deliveries.recordAttempts([
      outcome(db.tenantA, retried.id, {
        status: 'pending',
        statusCode: 500,
        nextAttemptAt: new Date(Date.now() + 60_000),
      }),
      outcome(db.tenantB, done.id),
    ]);
    await deliveries.insertMatched([fresh, claimed]);
    // A claimed one (sending) counts as what it was before: never attempted.
    assert.equal((await deliveries.claim(10, 10, 60_000, NO_HELD)).length, 2);
    assert.deepEqual(await deliveries.countOpenByState(), { pending: 2, retrying: 1 });
  });

  describe('AttemptOutcomes: which written outcomes wake the worker', () => {
    /** One delivery of a new subscription with this ordering, claimed as the worker claims it. */
    const claimedUnder = async (ordering: Ordering): Promise<ClaimedDelivery> => {
      const subscription = newSubscription(db.tenantA, { ordering });
      assert.equal(await subscriptions.createWithinQuota(subscription, 100), true);
      const stored = delivery(db.tenantA, subscription.id);
      await deliveries.insertMatched([stored]);
      const [claimed] = await deliveries.claim(10, 10, 60_000, NO_HELD);
      assert.equal(claimed?.id, stored.id);
      assert.equal(claimed.ordering, ordering);
      return claimed;
    };

    /** Writes one success per delivery, as the worker reports them, and answers why the worker was woken. */
    const recordSuccesses = async (claimed: ClaimedDelivery[]): Promise<WakeReason[]> => {
      const wakeups = new RecordedWakeups();
      // Only failures, 410s and exhausted deliveries reach the bus or the disable threshold.
      const outcomes = new AttemptOutcomes(deliveries, subscriptions, {} as OperationalEvents, wakeups, {
        DISPATCH_DISABLE_AFTER: 5,
      } as DispatcherConfig);
      for (const sent of claimed) outcomes.add(sent, { kind: 'succeeded' }, outcome(sent.tenant_id, sent.id));
      await outcomes.drain();
      for (const sent of claimed)
        assert.equal((await deliveries.findById(sent.tenant_id, sent.id))?.status, 'succeeded');
      return wakeups.rung;
    };

    test('outcomes of entity-ordered deliveries wake the worker: the next of each entity may now go', async () => {
      const entity = await claimedUnder('entity');
      assert.deepEqual(await recordSuccesses([entity]), ['outcomes-recorded']);
    });

    test('outcomes under no ordering wake nothing: no delivery waited for them', async () => {
      const unordered = await claimedUnder('none');
      assert.deepEqual(await recordSuccesses([unordered]), []);
    });
  });
});
