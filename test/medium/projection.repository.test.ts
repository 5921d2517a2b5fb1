import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defineQuery, rowsOf } from '@hub/persistence';
import { PROJECTOR_MIGRATIONS } from '../../apps/projector/src/projection/migrations.js';
import { ProjectionRepository, refKey } from '../../apps/projector/src/projection/projection.repository.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { openMediumDatabase, type MediumDatabase } from './medium-database.js';
import { entityWrite } from './projector-tables.js';

after(stopEmbeddedTestServer);

describe('ProjectionRepository', () => {
  let db: MediumDatabase;
  const projection = new ProjectionRepository();
  before(async () => {
    db = await openMediumDatabase({ migrations: PROJECTOR_MIGRATIONS });
  });
  after(() => db?.close());

  test('markApplied returns the events never applied before, per tenant', async () => {
    const first = await db.dataSource.transaction((m) =>
      projection.markApplied(m, [
        { tenant: db.tenantA, id: 'evt_1' },
        { tenant: db.tenantA, id: 'evt_2' },
      ]),
    );
    assert.deepEqual([...first].sort(), [`${db.tenantA}/evt_1`, `${db.tenantA}/evt_2`]);
    const again = await db.dataSource.transaction((m) =>
      projection.markApplied(m, [
        { tenant: db.tenantA, id: 'evt_2' },
        { tenant: db.tenantA, id: 'evt_3' },
        { tenant: db.tenantB, id: 'evt_1' },
      ]),
    );
    assert.deepEqual([...again].sort(), [`${db.tenantA}/evt_3`, `${db.tenantB}/evt_1`].sort());
    assert.equal((await db.dataSource.transaction((m) => projection.markApplied(m, []))).size, 0);
  });

  test('saveEntities inserts, then overwrites, and lockEntities reads rows back by tenant', async () => {
    const ref = { tenantId: db.tenantA, id: 'project:p1' };
    await db.dataSource.transaction((m) =>
      projection.saveEntities(m, 'project', [
        entityWrite(db.tenantA, 'project:p1', { name: 'Roof', stage: 'lead' }, { typed: { stage: 'lead' } }),
        entityWrite(db.tenantB, 'project:p1', { name: 'Other tenant' }),
      ]),
    );
    await db.dataSource.transaction((m) =>
      projection.saveEntities(m, 'project', [
        entityWrite(
          db.tenantA,
          'project:p1',
          { name: 'Roof', stage: 'install' },
          {
            version: 2,
            typed: { stage: 'install', reference_number: 'R-1' },
            sources: ['/sources/a', '/sources/b'],
          },
        ),
      ]),
    );
    const locked = await db.dataSource.transaction((m) =>
      projection.lockEntities(m, 'project', [ref, { tenantId: db.tenantA, id: 'project:missing' }]),
    );
    assert.deepEqual([...locked.keys()], [refKey(ref)]);
    const stored = locked.get(refKey(ref));
    assert.deepEqual(stored?.document, { name: 'Roof', stage: 'install' });
    assert.equal(stored?.version, 2);
    assert.deepEqual(stored?.sources, ['/sources/a', '/sources/b']);
    assert.ok(stored?.provider_updated_at instanceof Date);
    const typed = await rowsOf(
      db.dataSource,
      defineQuery<{ stage: string | null; reference_number: string | null }>(
        'SELECT stage, reference_number FROM projects WHERE tenant_id = $1 AND id = $2',
      ),
      [db.tenantA, 'project:p1'],
    );
    assert.deepEqual(typed, [{ stage: 'install', reference_number: 'R-1' }]);

    const other = await db.dataSource.transaction((m) =>
      projection.lockEntities(m, 'project', [{ tenantId: db.tenantB, id: 'project:p1' }]),
    );
    assert.deepEqual(other.get(refKey({ tenantId: db.tenantB, id: 'project:p1' }))?.document, {
      name: 'Other tenant',
    });
    assert.equal((await db.dataSource.transaction((m) => projection.lockEntities(m, 'monitor', []))).size, 0);
  });

  test('a document that is not JSON fails the statement with a data error, which poison isolation relies on', async () => {
    await assert.rejects(
      db.dataSource.transaction((m) =>
        projection.saveEntities(m, 'customer', [
          { ...entityWrite(db.tenantA, 'customer:bad', {}), documentJson: '{"name": unquoted}' },
        ]),
      ),
      (error: unknown) => (error as { code?: string }).code?.startsWith('22') === true,
    );
  });

  test('addHistory stores whole documents and patches; addActivities skips an event seen before', async () => {
    await db.dataSource.transaction(async (m) => {
      await projection.addHistory(m, []);
      await projection.addHistory(m, [
        {
          tenantId: db.tenantA,
          id: 'customer:c1',
          type: 'customer',
          version: 1,
          eventId: 'evt_h1',
          eventType: 'customer.created',
          paths: ['name'],
          change: { document: { name: 'Ada' } },
        },
        {
          tenantId: db.tenantA,
          id: 'customer:c1',
          type: 'customer',
          version: 2,
          eventId: 'evt_h2',
          eventType: 'customer.updated',
          paths: ['email'],
          change: { patch: { set: { email: 'ada@example.com' }, unset: [] } },
        },
      ]);
    });
    const history = await rowsOf(
      db.dataSource,
      defineQuery<{
        version: number;
        document: object | null;
        patch_set: object | null;
        changed_paths: string[];
      }>(
        `SELECT version, document, patch_set, changed_paths FROM entity_history
          WHERE tenant_id = $1 AND entity_id = $2 ORDER BY version`,
      ),
      [db.tenantA, 'customer:c1'],
    );
    assert.deepEqual(history, [
      { version: 1, document: { name: 'Ada' }, patch_set: null, changed_paths: ['name'] },
      { version: 2, document: null, patch_set: { email: 'ada@example.com' }, changed_paths: ['email'] },
    ]);

    const activity = {
      tenantId: db.tenantA,
      id: 'monitor:m1',
      type: 'monitor' as const,
      eventId: 'evt_a1',
      eventType: 'monitor.alert',
      time: '2026-01-02T03:04:05.000Z',
      data: { level: 'high' },
    };
    await db.dataSource.transaction(async (m) => {
      await projection.addActivities(m, []);
      await projection.addActivities(m, [activity]);
      await projection.addActivities(m, [{ ...activity, data: { level: 'changed' } }]);
    });
    const activities = await rowsOf(
      db.dataSource,
      defineQuery<{ event_id: string; data: object; occurred_at: Date }>(
        'SELECT event_id, data, occurred_at FROM activities WHERE tenant_id = $1',
      ),
      [db.tenantA],
    );
    assert.equal(activities.length, 1);
    assert.deepEqual(activities[0]?.data, { level: 'high' });
    assert.equal(activities[0]?.occurred_at.toISOString(), activity.time);
  });
});
