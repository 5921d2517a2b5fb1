import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PROJECTOR_MIGRATIONS } from '../../apps/projector/src/projection/migrations.js';
import { ProjectionRepository } from '../../apps/projector/src/projection/projection.repository.js';
import { ReadModelRepository } from '../../apps/projector/src/read-models/read-model.repository.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { openMediumDatabase, type MediumDatabase } from './medium-database.js';
import { entityWrite } from './projector-tables.js';

after(stopEmbeddedTestServer);

describe('ReadModelRepository', () => {
  let db: MediumDatabase;
  let readModels: ReadModelRepository;
  const projection = new ProjectionRepository();
  let written: Date;

  before(async () => {
    db = await openMediumDatabase({ migrations: PROJECTOR_MIGRATIONS });
    readModels = new ReadModelRepository(db.dataSource);
    await db.dataSource.transaction(async (m) => {
      await projection.saveEntities(m, 'customer', [
        entityWrite(
          db.tenantA,
          'customer:a',
          { name: 'Ada' },
          { typed: { status: 'active', email: 'ada@x.io' } },
        ),
        entityWrite(
          db.tenantA,
          'customer:b',
          { name: 'Bob' },
          { typed: { status: 'lead', email: 'bob@x.io' } },
        ),
        entityWrite(
          db.tenantA,
          'customer:c',
          { name: 'Cy' },
          { provider: 'other', sources: ['/sources/src_other'], typed: { status: 'active', email: null } },
        ),
        entityWrite(db.tenantB, 'customer:a', { name: 'Not yours' }, { typed: { status: 'active' } }),
      ]);
      await projection.addHistory(m, [
        {
          tenantId: db.tenantA,
          id: 'customer:a',
          type: 'customer',
          version: 1,
          eventId: 'evt_1',
          eventType: 'customer.created',
          paths: ['name', 'plan'],
          change: { document: { name: 'Ada', plan: 'basic' } },
        },
        {
          tenantId: db.tenantA,
          id: 'customer:a',
          type: 'customer',
          version: 2,
          eventId: 'evt_2',
          eventType: 'customer.updated',
          paths: ['email', 'plan'],
          change: { patch: { set: { email: 'ada@x.io' }, unset: ['plan'] } },
        },
        {
          tenantId: db.tenantB,
          id: 'customer:a',
          type: 'customer',
          version: 1,
          eventId: 'evt_1',
          eventType: 'customer.created',
          paths: ['name'],
          change: { document: { name: 'Not yours' } },
        },
      ]);
      await projection.addActivities(m, [
        {
          tenantId: db.tenantA,
          id: 'customer:a',
          type: 'customer',
          eventId: 'evt_late',
          eventType: 'customer.note',
          time: '2026-01-02T00:00:00.000Z',
          data: { note: 'second' },
        },
        {
          tenantId: db.tenantA,
          id: 'customer:a',
          type: 'customer',
          eventId: 'evt_early',
          eventType: 'customer.note',
          time: '2026-01-01T00:00:00.000Z',
          data: { note: 'first' },
        },
        {
          tenantId: db.tenantB,
          id: 'customer:a',
          type: 'customer',
          eventId: 'evt_b',
          eventType: 'customer.note',
          time: '2026-01-01T00:00:00.000Z',
          data: { note: 'not yours' },
        },
      ]);
    });
    written = new Date();
  });
  after(() => db?.close());

  const ids = (rows: Array<{ id: string }>) => rows.map((row) => row.id);
  const noFilters = { columns: {} };

  test('list pages a tenant’s entities by id, and never shows another tenant’s', async () => {
    const all = await readModels.list(db.tenantA, 'customer', noFilters, 10);
    assert.deepEqual(ids(all), ['customer:a', 'customer:b', 'customer:c']);
    assert.deepEqual(all[0]?.document, { name: 'Ada' });
    assert.equal(all[0]?.version, 1);
    assert.deepEqual(all[0]?.sources, ['/sources/src_medium']);
    assert.ok(all[0]?.created_at instanceof Date);
    assert.deepEqual(ids(await readModels.list(db.tenantA, 'customer', noFilters, 2)), [
      'customer:a',
      'customer:b',
    ]);
    assert.deepEqual(ids(await readModels.list(db.tenantA, 'customer', noFilters, 2, 'customer:b')), [
      'customer:c',
    ]);
    const other = await readModels.list(db.tenantB, 'customer', noFilters, 10);
    assert.deepEqual(
      other.map((row) => row.document),
      [{ name: 'Not yours' }],
    );
    assert.deepEqual(await readModels.list(db.tenantA, 'project', noFilters, 10), []);
  });

  test('list filters by provider, source, update time and the type’s own typed columns', async () => {
    const list = (filters: Parameters<ReadModelRepository['list']>[2]) =>
      readModels.list(db.tenantA, 'customer', filters, 10).then(ids);
    assert.deepEqual(await list({ provider: 'other', columns: {} }), ['customer:c']);
    assert.deepEqual(await list({ source: 'src_other', columns: {} }), ['customer:c']);
    assert.deepEqual(await list({ columns: { status: 'active' } }), ['customer:a', 'customer:c']);
    assert.deepEqual(await list({ columns: { status: 'active', email: 'ada@x.io' } }), ['customer:a']);
    assert.deepEqual(await list({ updatedSince: new Date(written.getTime() + 60_000), columns: {} }), []);
    assert.equal((await list({ updatedSince: new Date(written.getTime() - 60_000), columns: {} })).length, 3);
    // A column of another entity type's table is never written into SQL.
    assert.equal((await list({ columns: { stage: 'install' } })).length, 3);
  });

  test('findById reads one entity of the tenant', async () => {
    assert.deepEqual((await readModels.findById(db.tenantA, 'customer', 'customer:b'))?.document, {
      name: 'Bob',
    });
    assert.deepEqual((await readModels.findById(db.tenantB, 'customer', 'customer:a'))?.document, {
      name: 'Not yours',
    });
    assert.equal(await readModels.findById(db.tenantB, 'customer', 'customer:b'), null);
    assert.equal(await readModels.findById(db.tenantA, 'monitor', 'customer:b'), null);
  });

  test('history rebuilds each version’s document from its predecessor and its patch', async () => {
    const history = await readModels.history(db.tenantA, 'customer', 'customer:a', 100);
    assert.deepEqual(
      history.map(({ version, event_id, changed_paths, document }) => ({
        version,
        event_id,
        changed_paths,
        document,
      })),
      [
        {
          version: 1,
          event_id: 'evt_1',
          changed_paths: ['name', 'plan'],
          document: { name: 'Ada', plan: 'basic' },
        },
        {
          version: 2,
          event_id: 'evt_2',
          changed_paths: ['email', 'plan'],
          document: { name: 'Ada', email: 'ada@x.io' },
        },
      ],
    );
    assert.ok(history[0]?.applied_at instanceof Date);
    assert.equal((await readModels.history(db.tenantB, 'customer', 'customer:a', 100)).length, 1);
    assert.deepEqual(await readModels.history(db.tenantB, 'customer', 'customer:b', 100), []);
  });

  test('history pages by version: each page made whole, starting right after the last', async () => {
    const first = await readModels.history(db.tenantA, 'customer', 'customer:a', 1);
    assert.deepEqual(
      first.map((row) => row.version),
      [1],
    );
    const second = await readModels.history(db.tenantA, 'customer', 'customer:a', 1, 1);
    assert.deepEqual(
      second.map(({ version, document }) => ({ version, document })),
      [{ version: 2, document: { name: 'Ada', email: 'ada@x.io' } }],
    );
    assert.deepEqual(await readModels.history(db.tenantA, 'customer', 'customer:a', 1, 2), []);
  });

  test('activity pages by time to the microsecond and event id', async () => {
    const [first] = await readModels.activity(db.tenantA, 'customer', 'customer:a', 1);
    assert.equal(first?.position, '2026-01-01T00:00:00.000000Z');
    const rest = await readModels.activity(db.tenantA, 'customer', 'customer:a', 10, {
      position: first!.position,
      eventId: first!.event_id,
    });
    assert.deepEqual(
      rest.map((row) => row.event_id),
      ['evt_late'],
    );
  });

  test('activity lists the tenant’s events of the entity in time order', async () => {
    const activity = await readModels.activity(db.tenantA, 'customer', 'customer:a', 100);
    assert.deepEqual(
      activity.map((row) => [row.event_id, row.type, row.occurred_at.toISOString(), row.data]),
      [
        ['evt_early', 'customer.note', '2026-01-01T00:00:00.000Z', { note: 'first' }],
        ['evt_late', 'customer.note', '2026-01-02T00:00:00.000Z', { note: 'second' }],
      ],
    );
    assert.deepEqual(
      (await readModels.activity(db.tenantB, 'customer', 'customer:a', 100)).map((row) => row.data),
      [{ note: 'not yours' }],
    );
  });
});
