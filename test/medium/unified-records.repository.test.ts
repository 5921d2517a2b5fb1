import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defineQuery, execute } from '@hub/persistence';
import { PROJECTOR_MIGRATIONS } from '../../apps/projector/src/projection/migrations.js';
import { ProjectionRepository } from '../../apps/projector/src/projection/projection.repository.js';
import { UnifiedRecordsRepository } from '../../apps/projector/src/unified/unified-records.repository.js';
import {
  UnifiedRepository,
  type LinkRow,
  type UnifiedRecordWrite,
} from '../../apps/projector/src/unified/unified.repository.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { openMediumDatabase, type MediumDatabase } from './medium-database.js';
import { entityWrite } from './projector-tables.js';

after(stopEmbeddedTestServer);

const ADA = 'unified:cus_00000000000000000001';
const BOB = 'unified:cus_00000000000000000002';
const SITE = 'unified:prj_00000000000000000003';

function record(tenantId: string, id: string, changes: Partial<UnifiedRecordWrite> = {}): UnifiedRecordWrite {
  return {
    tenantId,
    kind: 'customer',
    id,
    version: 1,
    document: { id },
    provenance: {},
    conflicts: [],
    members: [],
    providers: [],
    sources: [],
    status: null,
    email: null,
    stage: null,
    reference_number: null,
    searchText: id,
    ...changes,
  };
}

function link(
  tenant_id: string,
  member_id: string,
  unified_id: string,
  linked_by: LinkRow['linked_by'],
): LinkRow {
  return {
    tenant_id,
    kind: unified_id.startsWith('unified:prj_') ? 'project' : 'customer',
    member_id,
    unified_id,
    linked_by,
    reason: linked_by === 'self' ? null : { keys: ['email:ada@x.io'] },
  };
}

describe('UnifiedRecordsRepository', () => {
  let db: MediumDatabase;
  let records: UnifiedRecordsRepository;
  const engine = new UnifiedRepository();

  before(async () => {
    db = await openMediumDatabase({ migrations: PROJECTOR_MIGRATIONS });
    records = new UnifiedRecordsRepository(db.dataSource);
    await db.dataSource.transaction(async (m) => {
      await new ProjectionRepository().saveEntities(m, 'customer', [
        entityWrite(db.tenantA, 'opensolar:1', { email: 'ada@x.io' }),
        entityWrite(db.tenantA, 'shared:9', {}),
      ]);
      await new ProjectionRepository().saveEntities(m, 'project', [entityWrite(db.tenantA, 'shared:9', {})]);
      await engine.saveUnifiedRecords(m, [
        record(db.tenantA, ADA, {
          document: { id: ADA, email: 'ada@x.io', status: 'active' },
          provenance: {
            email: { record: 'solarproof:2', provider: 'solarproof', source: '/sources/src_sp' },
          },
          conflicts: [{ field: 'status', chosen: 'solarproof:2', policy: 'latest', values: [] }],
          members: ['opensolar:1', 'solarproof:2'],
          providers: ['opensolar', 'solarproof'],
          sources: ['/sources/src_os', '/sources/src_sp'],
          status: 'active',
          email: 'ada@x.io',
          searchText: `${ADA} opensolar:1 solarproof:2 ada lovelace ada@x.io`,
        }),
        record(db.tenantA, BOB, {
          members: ['opensolar:3'],
          providers: ['opensolar'],
          sources: ['/sources/src_os'],
          status: 'lead',
          email: 'bob@x.io',
        }),
        record(db.tenantA, SITE, { kind: 'project', members: ['opensolar:9'], stage: 'Sold' }),
        record(db.tenantB, ADA, { members: ['opensolar:1'], email: 'ada@x.io', status: 'active' }),
      ]);
      await engine.saveLinks(m, [
        link(db.tenantA, 'opensolar:1', ADA, 'rule'),
        link(db.tenantA, 'solarproof:2', ADA, 'manual'),
        link(db.tenantA, 'opensolar:3', BOB, 'self'),
        link(db.tenantA, 'opensolar:9', SITE, 'self'),
        link(db.tenantB, 'opensolar:1', ADA, 'self'),
      ]);
      // BOB is the newest record: the list is by id all the same.
      await execute(
        m,
        defineQuery(`UPDATE unified_records SET created_at = now() + interval '1 second' WHERE id = $1`),
        [BOB],
      );
    });
  });
  after(() => db?.close());

  const ids = (rows: Array<{ id: string }>) => rows.map((row) => row.id);
  const list = (filters: Parameters<UnifiedRecordsRepository['list']>[2], limit = 10) =>
    records.list(db.tenantA, 'customer', filters, limit);

  test('lists by id, only the tenant’s records of the kind, with their members’ links', async () => {
    const rows = await list({ columns: {} });
    assert.deepEqual(ids(rows), [ADA, BOB], 'by id, not by when created');
    const ada = rows[0]!;
    assert.deepEqual(ada.member_links, [
      { record: 'opensolar:1', linked_by: 'rule', reason: { keys: ['email:ada@x.io'] } },
      { record: 'solarproof:2', linked_by: 'manual', reason: { keys: ['email:ada@x.io'] } },
    ]);
    assert.deepEqual(ada.document, { id: ADA, email: 'ada@x.io', status: 'active' });
    assert.equal(ada.provenance?.['email']?.['provider'], 'solarproof');
    assert.equal(ada.conflicts?.[0]?.field, 'status');

    const [first] = await list({ columns: {} }, 1);
    const rest = await records.list(db.tenantA, 'customer', { columns: {} }, 10, first!.id);
    assert.deepEqual(ids(rest), [BOB], 'after the cursor');
  });

  test('filters: provider, source, email, status, search, updated_since', async () => {
    assert.deepEqual(ids(await list({ provider: 'solarproof', columns: {} })), [ADA]);
    assert.deepEqual(ids(await list({ source: 'src_os', columns: {} })), [ADA, BOB]);
    assert.deepEqual(ids(await list({ source: 'src_sp', columns: {} })), [ADA]);
    assert.deepEqual(ids(await list({ columns: { email: ' ADA@x.io' } })), [ADA]);
    assert.deepEqual(ids(await list({ columns: { status: 'lead' } })), [BOB]);
    assert.deepEqual(ids(await list({ columns: { stage: 'Sold' } })), [ADA, BOB], 'no stage on customers');
    assert.deepEqual(ids(await list({ search: 'LOVELACE', columns: {} })), [ADA]);
    assert.deepEqual(ids(await list({ search: '%', columns: {} })), [], 'wildcards taken literally');
    assert.deepEqual(ids(await list({ updatedSince: new Date(Date.now() + 60_000), columns: {} })), []);
    assert.deepEqual(ids(await records.list(db.tenantA, 'project', { columns: { stage: 'Sold' } }, 10)), [
      SITE,
    ]);
  });

  test('finds a record by its id or a member’s, never another tenant’s or kind’s', async () => {
    assert.equal((await records.find(null, db.tenantA, 'customer', ADA))?.id, ADA);
    assert.equal((await records.find(null, db.tenantA, 'customer', 'solarproof:2'))?.id, ADA);
    assert.equal((await records.find(null, db.tenantB, 'customer', 'solarproof:2'))?.id, undefined);
    assert.deepEqual((await records.find(null, db.tenantB, 'customer', ADA))?.member_links, [
      { record: 'opensolar:1', linked_by: 'self', reason: null },
    ]);
    assert.equal(await records.find(null, db.tenantA, 'project', ADA), null);
    assert.equal(await records.find(null, db.tenantA, 'project', 'opensolar:1'), null);
    assert.equal(await records.find(null, db.tenantA, 'customer', 'nobody:1'), null);
  });

  test('the kinds a record id is, and the groups of a kind, or around records', async () => {
    await db.dataSource.transaction(async (m) => {
      assert.deepEqual([...(await records.kindsOfRecord(m, db.tenantA, 'opensolar:1'))], ['customer']);
      assert.deepEqual([...(await records.kindsOfRecord(m, db.tenantA, 'shared:9'))].sort(), [
        'customer',
        'project',
      ]);
      assert.deepEqual([...(await records.kindsOfRecord(m, db.tenantB, 'opensolar:1'))], []);
      assert.deepEqual(
        await records.groupsOf(m, db.tenantA, 'customer'),
        new Map([
          ['opensolar:1', ADA],
          ['solarproof:2', ADA],
          ['opensolar:3', BOB],
        ]),
      );
      assert.deepEqual(
        await records.groupsAround(m, db.tenantA, 'customer', ['solarproof:2', 'nobody:1']),
        new Map([
          ['opensolar:1', ADA],
          ['solarproof:2', ADA],
        ]),
        'only the groups that hold one of them',
      );
      assert.deepEqual(await records.groupsAround(m, db.tenantA, 'customer', []), new Map());
    });
  });

  test('an unlink’s records linked by hand: repointed to the smallest other remaining member, or forgotten', async () => {
    const decisions = async (tenantId: string) =>
      (
        await db.dataSource.query<
          Array<{ member_id: string; decision: string; target_member_id: string | null }>
        >(
          `SELECT member_id, decision, target_member_id FROM unified_decisions
            WHERE tenant_id = $1 AND kind = 'customer' ORDER BY member_id`,
          [tenantId],
        )
      ).map((row) => `${row.member_id} ${row.decision} ${row.target_member_id ?? '-'}`);
    await db.dataSource.transaction(async (m) => {
      const ref = (id: string) => ({ tenantId: db.tenantA, kind: 'customer' as const, id });
      await engine.saveDecision(m, ref('r:1'), 'link', 'x:1');
      await engine.saveDecision(m, ref('r:2'), 'link', 'x:1');
      await engine.saveDecision(m, ref('a:1'), 'link', 'x:1');
      await engine.saveDecision(m, ref('r:3'), 'link', 'y:1');
      await engine.saveDecision(m, ref('r:4'), 'unlink', null);
      await engine.saveDecision(m, { ...ref('r:1'), tenantId: db.tenantB }, 'link', 'x:1');

      const moved = await records.retargetLinks(m, db.tenantA, 'customer', 'x:1', ['r:1', 'a:1', 'b:1']);
      assert.deepEqual(moved.sort(), ['a:1', 'r:1', 'r:2']);
    });
    assert.deepEqual(await decisions(db.tenantA), [
      'a:1 link b:1',
      'r:1 link a:1',
      'r:2 link a:1',
      'r:3 link y:1',
      'r:4 unlink -',
    ]);
    assert.deepEqual(await decisions(db.tenantB), ['r:1 link x:1'], 'another tenant’s untouched');

    await db.dataSource.transaction(async (m) => {
      const moved = await records.retargetLinks(m, db.tenantA, 'customer', 'a:1', []);
      assert.deepEqual(moved.sort(), ['r:1', 'r:2']);
      // a:1's own link (to b:1) with only itself left: forgotten.
      assert.deepEqual(await records.retargetLinks(m, db.tenantA, 'customer', 'b:1', ['a:1']), ['a:1']);
    });
    assert.deepEqual(
      await decisions(db.tenantA),
      ['r:3 link y:1', 'r:4 unlink -'],
      'none remains: forgotten',
    );
  });
});
