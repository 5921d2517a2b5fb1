import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defineQuery, execute } from '@hub/persistence';
import { DISPATCHER_MIGRATIONS } from '../../apps/dispatcher/src/migrations.js';
import { Subscriptions1732262400300 } from '../../apps/dispatcher/src/subscriptions/subscription.migration.js';
import {
  SubscriptionRepository,
  type NewSubscription,
} from '../../apps/dispatcher/src/subscriptions/subscription.repository.js';
import { newSubscription } from './dispatcher-tables.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { openMediumDatabase, type MediumDatabase } from './medium-database.js';

after(stopEmbeddedTestServer);

describe('SubscriptionRepository', () => {
  let db: MediumDatabase;
  let subscriptions: SubscriptionRepository;
  before(async () => {
    db = await openMediumDatabase({ migrations: DISPATCHER_MIGRATIONS });
    subscriptions = new SubscriptionRepository(db.dataSource);
  });
  after(() => db?.close());

  const create = async (row: NewSubscription) => {
    assert.equal(await subscriptions.createWithinQuota(row, 100), true);
    return row;
  };

  test('a created subscription reads back whole, and only for its tenant', async () => {
    const row = await create(newSubscription(db.tenantA, { description: 'd', trigger_fields: ['status'] }));
    const found = await subscriptions.findById(db.tenantA, row.id);
    assert.ok(found);
    assert.equal(found.endpoint, row.endpoint);
    assert.equal(found.description, 'd');
    assert.deepEqual(found.event_types, ['project.updated']);
    assert.deepEqual(found.trigger_fields, ['status']);
    assert.equal(found.payload_fields, null);
    assert.deepEqual(found.headers, row.headers);
    assert.ok(found.secret_sealed.equals(row.secret_sealed));
    assert.equal(found.previous_secret_sealed, null);
    assert.ok(found.created_at instanceof Date);
    assert.equal(await subscriptions.findById(db.tenantB, row.id), null);
  });

  test('the quota counts only the tenant’s own subscriptions', async () => {
    const tenantOnly = await openMediumDatabase({ migrations: [Subscriptions1732262400300] });
    try {
      const repo = new SubscriptionRepository(tenantOnly.dataSource);
      assert.equal(await repo.createWithinQuota(newSubscription(tenantOnly.tenantA), 2), true);
      assert.equal(await repo.createWithinQuota(newSubscription(tenantOnly.tenantA), 2), true);
      assert.equal(await repo.createWithinQuota(newSubscription(tenantOnly.tenantA), 2), false);
      assert.equal(await repo.createWithinQuota(newSubscription(tenantOnly.tenantB), 2), true);
      // Concurrent creates never overshoot: the count and the insert share a per-tenant lock.
      const results = await Promise.all(
        Array.from({ length: 4 }, () => repo.createWithinQuota(newSubscription(tenantOnly.tenantB), 3)),
      );
      assert.equal(results.filter(Boolean).length, 2);
      assert.equal((await repo.listByTenant(tenantOnly.tenantB, 10)).length, 3);
    } finally {
      await tenantOnly.close();
    }
  });

  test('counts subscriptions of every tenant by status for /metrics; pending ones are neither', async () => {
    const own = await openMediumDatabase({ migrations: [Subscriptions1732262400300] });
    try {
      const repo = new SubscriptionRepository(own.dataSource);
      assert.deepEqual(await repo.countByStatus(), { enabled: 0, disabled: 0 });
      for (const row of [
        newSubscription(own.tenantA),
        newSubscription(own.tenantB),
        newSubscription(own.tenantB, { status: 'pending' }),
        newSubscription(own.tenantA, { status: 'disabled', status_reason: 'by the API' }),
      ])
        assert.equal(await repo.createWithinQuota(row, 10), true);
      assert.deepEqual(await repo.countByStatus(), { enabled: 2, disabled: 1 });
    } finally {
      await own.close();
    }
  });

  test('lists a tenant’s subscriptions by id, page after page, never another tenant’s', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await create(newSubscription(db.tenantB))).id);
    const all = await subscriptions.listByTenant(db.tenantB, 100);
    assert.ok(all.every((row) => row.tenant_id === db.tenantB));
    assert.deepEqual(
      all.map((row) => row.id),
      [...all.map((row) => row.id)].sort(),
    );
    const first = await subscriptions.listByTenant(db.tenantB, 1);
    const next = await subscriptions.listByTenant(db.tenantB, 100, first[0]!.id);
    assert.deepEqual(
      [...first, ...next].map((row) => row.id),
      all.map((row) => row.id),
    );
    for (const id of ids) assert.ok(all.some((row) => row.id === id));
  });

  test('listActive returns the active subscriptions of the tenants asked for', async () => {
    const active = await create(newSubscription(db.tenantA));
    const pending = await create(newSubscription(db.tenantA, { status: 'pending' }));
    const other = await create(newSubscription(db.tenantB));
    const rows = await db.dataSource.transaction((manager) =>
      subscriptions.listActive(manager, [db.tenantA]),
    );
    const ids = rows.map((row) => row.id);
    assert.ok(ids.includes(active.id));
    assert.ok(!ids.includes(pending.id));
    assert.ok(!ids.includes(other.id));
    assert.deepEqual(await db.dataSource.transaction((manager) => subscriptions.listActive(manager, [])), []);
  });

  test('update writes the listed columns, returns the new row, and never reaches another tenant', async () => {
    const row = await create(newSubscription(db.tenantA));
    const updated = await subscriptions.update(db.tenantA, row.id, {
      endpoint: 'https://receiver.example/other',
      headers: { 'x-new': 'yes' },
      event_types: ['customer.created'],
    });
    assert.equal(updated?.endpoint, 'https://receiver.example/other');
    assert.deepEqual(updated?.headers, { 'x-new': 'yes' });
    assert.deepEqual(updated?.event_types, ['customer.created']);
    assert.ok(updated!.updated_at >= updated!.created_at);
    assert.equal(await subscriptions.update(db.tenantB, row.id, { endpoint: 'https://evil.example' }), null);
    assert.equal(
      (await subscriptions.findById(db.tenantA, row.id))?.endpoint,
      'https://receiver.example/other',
    );
    // Nothing to change: the row as it is.
    assert.equal(
      (await subscriptions.update(db.tenantA, row.id, {}))?.endpoint,
      'https://receiver.example/other',
    );
  });

  test('delete removes the tenant’s own row once; another tenant deletes nothing', async () => {
    const row = await create(newSubscription(db.tenantA));
    assert.equal(await subscriptions.delete(db.tenantB, row.id), false);
    assert.equal(await subscriptions.delete(db.tenantA, row.id), true);
    assert.equal(await subscriptions.delete(db.tenantA, row.id), false);
    assert.equal(await subscriptions.findById(db.tenantA, row.id), null);
  });

  test('recordValidation activates or keeps pending, and leaves a disabled subscription disabled', async () => {
    const row = await create(newSubscription(db.tenantA, { status: 'pending' }));
    const refused = await subscriptions.recordValidation(db.tenantA, row.id, false, 'answered 500');
    assert.equal(refused?.status, 'pending');
    assert.equal(refused?.status_reason, 'answered 500');
    assert.equal(refused?.validated_at, null);
    const accepted = await subscriptions.recordValidation(db.tenantA, row.id, true, null);
    assert.equal(accepted?.status, 'active');
    assert.ok(accepted?.validated_at instanceof Date);
    await subscriptions.disable(db.tenantA, row.id, 'gone');
    const after = await subscriptions.recordValidation(db.tenantA, row.id, true, null);
    assert.equal(after?.status, 'disabled');
    assert.equal(after?.status_reason, 'gone');
    assert.equal(await subscriptions.recordValidation(db.tenantB, row.id, true, null), null);
  });

  test('recordFailure starts the failing period, disables once it ran too long, and markHealthy ends it', async () => {
    const row = await create(newSubscription(db.tenantA));
    assert.equal(await subscriptions.recordFailure(db.tenantA, row.id, 60_000), null);
    const failing = await subscriptions.findById(db.tenantA, row.id);
    assert.ok(failing?.failing_since instanceof Date);
    assert.equal(failing?.status, 'active');

    await subscriptions.markHealthy([]);
    await subscriptions.markHealthy([row.id]);
    assert.equal((await subscriptions.findById(db.tenantA, row.id))?.failing_since, null);

    await execute(
      db.dataSource,
      defineQuery("UPDATE subscriptions SET failing_since = now() - interval '2 minutes' WHERE id = $1"),
      [row.id],
    );
    assert.equal(await subscriptions.recordFailure(db.tenantB, row.id, 60_000), null);
    const disabled = await subscriptions.recordFailure(db.tenantA, row.id, 60_000);
    assert.equal(disabled?.id, row.id);
    assert.equal(disabled?.status, 'disabled');
    assert.equal(disabled?.status_reason, 'every delivery failed for 60 s');
    // Already disabled: this call did not disable it.
    assert.equal(await subscriptions.recordFailure(db.tenantA, row.id, 60_000), null);
  });

  test('disable returns the row only when this call disabled it', async () => {
    const row = await create(newSubscription(db.tenantA));
    assert.equal(await subscriptions.disable(db.tenantB, row.id, '410'), null);
    const disabled = await subscriptions.disable(db.tenantA, row.id, '410 Gone');
    assert.equal(disabled?.status, 'disabled');
    assert.equal(disabled?.status_reason, '410 Gone');
    assert.equal(await subscriptions.disable(db.tenantA, row.id, 'again'), null);
  });
});
