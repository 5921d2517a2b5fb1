import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PROJECTOR_MIGRATIONS } from '../../apps/projector/src/projection/migrations.js';
import {
  UnifiedRepository,
  type KeyRow,
  type MemberRef,
} from '../../apps/projector/src/unified/unified.repository.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { openMediumDatabase, type MediumDatabase } from './medium-database.js';

after(stopEmbeddedTestServer);

/** The engine's own statements on a real Postgres: each replaces what used to take several. */
describe('UnifiedRepository (the engine)', () => {
  let db: MediumDatabase;
  const engine = new UnifiedRepository();

  before(async () => {
    db = await openMediumDatabase({ migrations: PROJECTOR_MIGRATIONS });
  });
  after(() => db?.close());

  const customer = (tenantId: string, id: string): MemberRef => ({ tenantId, kind: 'customer', id });
  const keyRow = (ref: MemberRef, key: string): KeyRow => ({
    tenant_id: ref.tenantId,
    kind: ref.kind,
    member_id: ref.id,
    key,
  });
  const storedKeys = async (refs: MemberRef[]) =>
    (await engine.scopeState(db.dataSource, refs)).keys.map((k) => `${k.member_id} ${k.key}`).sort();

  test('replaceKeys leaves each record exactly the keys given: old ones go, kept ones stay, new ones come', async () => {
    const [ada, bob, cy] = ['k:ada', 'k:bob', 'k:cy'].map((id) => customer(db.tenantA, id)) as [
      MemberRef,
      MemberRef,
      MemberRef,
    ];
    const other = customer(db.tenantB, 'k:ada');
    await db.dataSource.transaction((m) =>
      engine.replaceKeys(
        m,
        [ada, bob, other],
        [keyRow(ada, 'email:a'), keyRow(ada, 'phone:1'), keyRow(bob, 'email:b'), keyRow(other, 'email:a')],
      ),
    );
    const before = await db.dataSource.query<Array<{ ctid: string; member_id: string; key: string }>>(
      `SELECT ctid::text, member_id, key FROM unified_link_keys WHERE tenant_id = $1 AND member_id = 'k:ada' AND key = 'phone:1'`,
      [db.tenantA],
    );
    await db.dataSource.transaction((m) =>
      // Ada drops her email and gains a reference, Bob has no keys any more, Cy is new.
      engine.replaceKeys(
        m,
        [ada, bob, cy],
        [keyRow(ada, 'phone:1'), keyRow(ada, 'ref:7'), keyRow(cy, 'email:c'), keyRow(cy, 'email:c')],
      ),
    );
    assert.deepEqual(await storedKeys([ada, bob, cy]), ['k:ada phone:1', 'k:ada ref:7', 'k:cy email:c']);
    assert.deepEqual(await storedKeys([other]), ['k:ada email:a'], 'another tenant’s keys are untouched');
    const after = await db.dataSource.query<Array<{ ctid: string }>>(
      `SELECT ctid::text FROM unified_link_keys WHERE tenant_id = $1 AND member_id = 'k:ada' AND key = 'phone:1'`,
      [db.tenantA],
    );
    assert.equal(after[0]?.ctid, before[0]?.ctid, 'a key kept is not rewritten');
  });

  test('reachable follows shared keys, current groups and manual links to the end', async () => {
    const t = db.tenantA;
    const [a, b, c, d, e, lone] = ['r:a', 'r:b', 'r:c', 'r:d', 'r:e', 'r:lone'].map((id) =>
      customer(t, id),
    ) as [MemberRef, MemberRef, MemberRef, MemberRef, MemberRef, MemberRef];
    await db.dataSource.transaction(async (m) => {
      // a -key- b, b -group- c, c -manual link- d, d -key- e: four steps from a to e.
      await engine.replaceKeys(
        m,
        [a, b, d, e, lone],
        [
          keyRow(a, 'email:ab'),
          keyRow(b, 'email:ab'),
          keyRow(d, 'phone:de'),
          keyRow(e, 'phone:de'),
          keyRow(lone, 'email:z'),
        ],
      );
      await engine.saveLinks(m, [
        {
          tenant_id: t,
          kind: 'customer',
          member_id: b.id,
          unified_id: 'u:bc',
          linked_by: 'rule',
          reason: null,
        },
        {
          tenant_id: t,
          kind: 'customer',
          member_id: c.id,
          unified_id: 'u:bc',
          linked_by: 'rule',
          reason: null,
        },
      ]);
      await engine.saveDecision(m, c, 'link', d.id);
    });
    const ids = async (seeds: MemberRef[]) =>
      (await engine.reachable(db.dataSource, seeds)).map((ref) => ref.id).sort();
    assert.deepEqual(await ids([a]), ['r:a', 'r:b', 'r:c', 'r:d', 'r:e']);
    assert.deepEqual(
      await ids([e]),
      ['r:a', 'r:b', 'r:c', 'r:d', 'r:e'],
      'the manual link is followed both ways',
    );
    assert.deepEqual(await ids([lone]), ['r:lone']);
    assert.deepEqual(
      await ids([customer(db.tenantB, 'r:a')]),
      ['r:a'],
      'another tenant’s records are never reached',
    );
  });

  test('a scope state carries its keys, the decisions naming it (each once), its links and their unified records', async () => {
    const t = db.tenantA;
    const [a, b, c] = ['s:a', 's:b', 's:c'].map((id) => customer(t, id)) as [MemberRef, MemberRef, MemberRef];
    const link = (ref: MemberRef) => ({
      tenant_id: t,
      kind: 'customer' as const,
      member_id: ref.id,
      unified_id: 'u:s',
      linked_by: 'rule' as const,
      reason: { rule: 'email' },
    });
    await db.dataSource.transaction(async (m) => {
      await engine.replaceKeys(m, [a, b], [keyRow(a, 'email:s'), keyRow(b, 'email:s')]);
      await engine.saveLinks(m, [link(a), link(b)]);
      await engine.saveUnifiedRecords(m, [
        {
          tenantId: t,
          kind: 'customer',
          id: 'u:s',
          version: 3,
          document: { name: 'S' },
          provenance: {},
          conflicts: [],
          members: [a.id, b.id],
          providers: ['opensolar'],
          sources: [],
          status: null,
          email: null,
          stage: null,
          reference_number: null,
          searchText: 's',
        },
      ]);
      // c is linked by hand to a: the decision names both, and comes back once.
      await engine.saveDecision(m, c, 'link', a.id);
    });

    // The scope as reachable gives it: a and b share a key and a group, c is linked to a by hand.
    const state = await engine.scopeState(db.dataSource, await engine.reachable(db.dataSource, [a]));
    assert.deepEqual(state.scope.map((ref) => ref.id).sort(), ['s:a', 's:b', 's:c']);
    assert.deepEqual(state.keys.map((k) => `${k.member_id} ${k.key}`).sort(), ['s:a email:s', 's:b email:s']);
    assert.deepEqual(
      state.decisions.map((d) => [d.member_id, d.decision, d.target_member_id]),
      [['s:c', 'link', 's:a']],
    );
    assert.ok(state.decisions[0]?.decided_at instanceof Date, 'a decision’s time reads as a Date');
    assert.deepEqual(state.links.map((l) => [l.member_id, l.unified_id, l.reason]).sort(), [
      ['s:a', 'u:s', { rule: 'email' }],
      ['s:b', 'u:s', { rule: 'email' }],
    ]);
    assert.deepEqual(
      state.heads.map((h) => [h.id, h.version, h.document, h.members]),
      [['u:s', 3, { name: 'S' }, ['s:a', 's:b']]],
    );

    const alone = await engine.scopeState(db.dataSource, [c]);
    assert.deepEqual(alone.scope, [c], 'a scope given is read as given, not grown');
    assert.deepEqual([alone.keys, alone.links, alone.heads], [[], [], []]);
    assert.deepEqual(
      alone.decisions.map((d) => d.member_id),
      ['s:c'],
      'the decision about c, whose target is outside the scope',
    );
    assert.deepEqual(await engine.scopeState(db.dataSource, []), {
      scope: [],
      keys: [],
      decisions: [],
      links: [],
      heads: [],
    });
  });
});
