import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ChangesRepository } from '../../apps/projector/src/changes/changes.repository.js';
import { FieldsRepository } from '../../apps/projector/src/fields/fields.repository.js';
import { PROJECTOR_MIGRATIONS } from '../../apps/projector/src/projection/migrations.js';
import {
  ProjectionRepository,
  type HistoryRow,
} from '../../apps/projector/src/projection/projection.repository.js';
import { ReadModelRepository } from '../../apps/projector/src/read-models/read-model.repository.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { openMediumDatabase, type MediumDatabase } from './medium-database.js';
import { entityWrite } from './projector-tables.js';

after(stopEmbeddedTestServer);

/** The console's queries: field paths seen, recent changes across entities, search on the lists. */
describe('console queries (fields, changes, search)', () => {
  let db: MediumDatabase;
  let fields: FieldsRepository;
  let changes: ChangesRepository;
  let readModels: ReadModelRepository;
  const projection = new ProjectionRepository();

  const history = (tenantId: string, id: string, version: number, change: HistoryRow['change']) => ({
    tenantId,
    id,
    type: 'project' as const,
    version,
    eventId: `evt_${id}_${version}`,
    eventType: 'project.upserted',
    paths: ['project.stage'],
    change,
  });

  before(async () => {
    db = await openMediumDatabase({ migrations: PROJECTOR_MIGRATIONS });
    fields = new FieldsRepository(db.dataSource);
    changes = new ChangesRepository(db.dataSource);
    readModels = new ReadModelRepository(db.dataSource);
    await db.dataSource.transaction(async (m) => {
      await projection.saveEntities(m, 'project', [
        entityWrite(
          db.tenantA,
          'opensolar:1',
          { stage: 'Lead', systems: [{ modules: [{ sku: 'A' }] }, { modules: [] }], 'bad key': 1 },
          { typed: { stage: 'Lead', reference_number: 'Q-100' } },
        ),
        entityWrite(
          db.tenantA,
          'opensolar:2',
          { stage: null, name: 'Roof_50% Smith' },
          { typed: { reference_number: 'Q-200' } },
        ),
        entityWrite(db.tenantB, 'opensolar:9', { secret_field: 'theirs', name: 'Roof Smith' }),
      ]);
      await projection.saveEntities(m, 'customer', [
        entityWrite(
          db.tenantA,
          'opensolar:c1',
          { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' },
          { typed: { email: 'ada@example.com' } },
        ),
        entityWrite(
          db.tenantA,
          'opensolar:c2',
          { first_name: 'Bob', email: 'bob@example.com' },
          { typed: { email: 'bob@example.com' } },
        ),
      ]);
    });
    // One transaction each: a version's applied_at is its transaction's start.
    const steps: HistoryRow[][] = [
      [history(db.tenantA, 'opensolar:1', 1, { document: { stage: 'Lead', keep: 1 } })],
      [history(db.tenantB, 'opensolar:9', 1, { document: { secret_field: 'theirs' } })],
      [history(db.tenantA, 'opensolar:2', 1, { document: { stage: 'Lead' } })],
      [history(db.tenantA, 'opensolar:1', 2, { patch: { set: { stage: 'Sold' }, unset: [] } })],
      [history(db.tenantA, 'opensolar:1', 3, { patch: { set: { stage: 'Installed' }, unset: ['keep'] } })],
    ];
    for (const rows of steps) await db.dataSource.transaction((m) => projection.addHistory(m, rows));
  });
  after(() => db?.close());

  test('fields lists the paths of the tenant’s documents, arrays without indexes, never another tenant’s', async () => {
    const rows = await fields.seen(db.tenantA, ['project', 'customer', 'monitor'], 100);
    assert.deepEqual(
      rows.map((row) => [row.path, row.types, row.documents]),
      [
        ['customer.email', ['string'], 2],
        ['customer.first_name', ['string'], 2],
        ['customer.last_name', ['string'], 1],
        ['project.name', ['string'], 1],
        ['project.stage', ['null', 'string'], 2],
        ['project.systems', ['array'], 1],
        ['project.systems.modules', ['array'], 1],
        ['project.systems.modules.sku', ['string'], 1],
      ],
    );
    const projects = await fields.seen(db.tenantA, ['project'], 100);
    assert.ok(projects.every((row) => row.entity_type === 'project'));
    const theirs = await fields.seen(db.tenantB, ['project'], 100);
    assert.deepEqual(
      theirs.map((row) => row.path),
      ['project.name', 'project.secret_field'],
    );
  });

  test('fields pages by path', async () => {
    const first = await fields.seen(db.tenantA, ['project'], 2);
    assert.deepEqual(
      first.map((row) => row.path),
      ['project.name', 'project.stage'],
    );
    const next = await fields.seen(db.tenantA, ['project'], 10, 'project.stage');
    assert.deepEqual(
      next.map((row) => row.path),
      ['project.systems', 'project.systems.modules', 'project.systems.modules.sku'],
    );
  });

  test('changes are the tenant’s versions newest first, each with its whole document', async () => {
    const rows = await changes.recent(db.tenantA, {}, 10);
    assert.deepEqual(
      rows.map((row) => [row.entity_id, row.version, row.document]),
      [
        ['opensolar:1', 3, { stage: 'Installed' }],
        ['opensolar:1', 2, { stage: 'Sold', keep: 1 }],
        ['opensolar:2', 1, { stage: 'Lead' }],
        ['opensolar:1', 1, { stage: 'Lead', keep: 1 }],
      ],
    );
    assert.equal(rows[0]?.event_id, 'evt_opensolar:1_3');
    assert.deepEqual(rows[0]?.changed_paths, ['project.stage']);
    assert.match(rows[0]!.position, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    const theirs = await changes.recent(db.tenantB, {}, 10);
    assert.deepEqual(
      theirs.map((row) => row.entity_id),
      ['opensolar:9'],
    );
  });

  test('changes page after a key, and filter by entity type and time', async () => {
    const [, second] = await changes.recent(db.tenantA, {}, 2);
    const key = {
      position: second!.position,
      entityType: second!.entity_type,
      entityId: second!.entity_id,
      version: second!.version,
    };
    const rest = await changes.recent(db.tenantA, {}, 10, key);
    assert.deepEqual(
      rest.map((row) => [row.entity_id, row.version, row.document]),
      [
        ['opensolar:2', 1, { stage: 'Lead' }],
        ['opensolar:1', 1, { stage: 'Lead', keep: 1 }],
      ],
    );
    assert.deepEqual(await changes.recent(db.tenantA, { entityType: 'customer' }, 10), []);
    const since = await changes.recent(db.tenantA, { since: second!.applied_at }, 10);
    assert.deepEqual(
      since.map((row) => row.version),
      [3, 2],
    );
  });

  test('search finds by id, reference, name and email, any case, wildcards literal, tenant first', async () => {
    const search = async (type: 'project' | 'customer', text: string, tenant = db.tenantA) =>
      (await readModels.list(tenant, type, { columns: {}, search: text }, 10)).map((row) => row.id);
    assert.deepEqual(await search('project', 'q-1'), ['opensolar:1']);
    assert.deepEqual(await search('project', 'SMITH'), ['opensolar:2']);
    assert.deepEqual(await search('project', '50%'), ['opensolar:2']);
    assert.deepEqual(await search('project', '_'), ['opensolar:2'], 'an underscore is no wildcard');
    assert.deepEqual(await search('project', 'opensolar:'), ['opensolar:1', 'opensolar:2']);
    assert.deepEqual(await search('customer', 'ada lovelace'), ['opensolar:c1']);
    assert.deepEqual(await search('customer', 'BOB@EXAMPLE'), ['opensolar:c2']);
    assert.deepEqual(await search('project', 'Roof Smith', db.tenantB), ['opensolar:9']);
    assert.deepEqual(await search('project', 'Roof Smith'), []);
    const combined = await readModels.list(
      db.tenantA,
      'project',
      { columns: { stage: 'Lead' }, search: 'opensolar' },
      10,
    );
    assert.deepEqual(
      combined.map((row) => row.id),
      ['opensolar:1'],
    );
  });
});
