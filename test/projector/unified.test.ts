import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import fc from 'fast-check';
import { parseCanonicalEvent, type CanonicalEvent, type DispatchableEvent } from '@hub/contracts';
import { matches, MatchingService } from '../../apps/dispatcher/src/matching/matching.service.js';
import { defineQuery, execute, rowsOf } from '@hub/persistence';
import { ProjectionRepository } from '../../apps/projector/src/projection/projection.repository.js';
import {
  ProjectionService,
  type StateChange,
} from '../../apps/projector/src/projection/projection.service.js';
import { rebuildReadModels } from '../../apps/projector/src/rebuild/rebuild.js';
import { defaultLinkingRules } from '../../apps/projector/src/unified/linking-rules.js';
import { UnifiedRepository } from '../../apps/projector/src/unified/unified.repository.js';
import { UnifiedService } from '../../apps/projector/src/unified/unified.service.js';
import { openLifecycleDatabase, TOPICS } from '../lifecycle/lifecycle-fixtures.js';
import { asMessage, canonicalEvent } from '../support/canonical-events.js';
import { stopEmbeddedTestServer } from '../support/database.js';

after(stopEmbeddedTestServer);

/**
 * Unified records against a real Postgres, through ProjectionService.applyBatch as the projector's
 * consumer calls it: links and merges are made in the batch's transaction.
 */
describe('unified records', () => {
  let db: Awaited<ReturnType<typeof openLifecycleDatabase>>;
  const unifiedRepository = new UnifiedRepository();
  const unified = new UnifiedService(unifiedRepository);
  const projection = new ProjectionService(new ProjectionRepository(), unified);

  before(async () => {
    db = await openLifecycleDatabase();
  });
  after(() => db?.close());
  beforeEach(() => wipeTenant(db.tenantA));

  /** A customer snapshot of `provider` as its mapping makes it, changed by an event at `time`. */
  function customer(
    provider: string,
    externalId: string,
    time: string,
    data: Record<string, unknown>,
  ): CanonicalEvent {
    const event = canonicalEvent({
      tenant: db.tenantA,
      provider,
      externalId,
      type: 'customer.upserted',
      data,
    });
    return parsed({ ...event, time });
  }

  function project(provider: string, externalId: string, data: Record<string, unknown>): CanonicalEvent {
    return parsed(
      canonicalEvent({ tenant: db.tenantA, provider, externalId, type: 'project.upserted', data }),
    );
  }

  /** The events in this order, in batches that end wherever `cuts` says. */
  async function applyCut(order: CanonicalEvent[], cuts: boolean[]): Promise<void> {
    let batch: CanonicalEvent[] = [];
    for (const [i, event] of order.entries()) {
      batch.push(event);
      if (cuts[i]) {
        await apply(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await apply(batch);
  }

  function apply(events: CanonicalEvent[]): Promise<StateChange[]> {
    return db.dataSource.transaction((manager) => projection.applyBatch(manager, events));
  }

  async function wipeTenant(tenantId: string): Promise<void> {
    for (const table of [
      'customers',
      'projects',
      'entity_history',
      'applied_events',
      'unified_links',
      'unified_link_keys',
      'unified_records',
      'unified_decisions',
      'linking_rules',
    ])
      await execute(db.dataSource, defineQuery(`DELETE FROM ${table} WHERE tenant_id = $1`), [tenantId]);
  }

  /**
   * The tenant's unified records and links, without versions (they count published changes, which
   * batches group differently). Their times come from the members', so a rebuild gives the same.
   */
  async function unifiedState(tenantId: string) {
    const records = await rowsOf(
      db.dataSource,
      defineQuery<object>(`SELECT kind, id, document, provenance, conflicts, members, providers, email,
          created_at, updated_at
        FROM unified_records WHERE tenant_id = $1 ORDER BY kind, id`),
      [tenantId],
    );
    const links = await rowsOf(
      db.dataSource,
      defineQuery<object>(`SELECT kind, member_id, unified_id, linked_by, reason
        FROM unified_links WHERE tenant_id = $1 ORDER BY kind, member_id`),
      [tenantId],
    );
    return { records, links };
  }

  /** The tenant's link rows of one record, or of one unified record's members. */
  function linksOf(kind: 'customer' | 'project', column: 'member_id' | 'unified_id', value: string) {
    return rowsOf(
      db.dataSource,
      defineQuery<{ member_id: string; unified_id: string; linked_by: string }>(`SELECT member_id, unified_id,
          linked_by FROM unified_links WHERE tenant_id = $1 AND kind = $2 AND ${column} = $3 ORDER BY member_id`),
      [db.tenantA, kind, value],
    );
  }

  async function recordOf(kind: 'customer' | 'project', memberId: string) {
    const [link] = await linksOf(kind, 'member_id', memberId);
    const id = link?.unified_id;
    assert.ok(id, `${memberId} has a unified record`);
    const [row] = await unifiedRepository.unifiedRecords(db.dataSource, [{ tenantId: db.tenantA, kind, id }]);
    assert.ok(row);
    return row;
  }

  const ofType = (changes: StateChange[], type: string) => changes.filter((c) => c.type === type);
  const dataOf = (change: StateChange) => (JSON.parse(change.json) as { data: Record<string, unknown> }).data;

  /** One person in three records: an OpenSolar contact, a Solar Proof customer, a second OpenSolar contact. */
  function samePersonEvents(): CanonicalEvent[] {
    return [
      customer('opensolar', '8812', '2026-11-20T10:00:00.000Z', {
        first_name: 'Jane',
        last_name: 'Doe',
        email: 'Jane.Doe@Example.com ',
        phone: '(415) 555-0100',
        status: null,
        attributes: {},
      }),
      customer('solarproof', '5150', '2026-11-21T10:00:00.000Z', {
        first_name: 'Janet',
        last_name: 'Doe',
        email: 'jane.doe@example.com',
        phone: '+1 415 555 0100',
        status: 'lead',
        provider_event: 'customer_created',
        attributes: { source: 'referral' },
      }),
      // A duplicate contact in OpenSolar: the phone alone, no email (links under unless_emails_differ).
      customer('opensolar', '9001', '2026-11-22T10:00:00.000Z', {
        first_name: 'J.',
        last_name: null,
        email: null,
        phone: '415.555.0100',
        status: null,
        attributes: {},
      }),
      // Someone else entirely.
      customer('solarproof', '7000', '2026-11-22T11:00:00.000Z', {
        first_name: 'Bob',
        email: 'bob@example.com',
        phone: '+1 212 555 0199',
        status: 'lead',
      }),
    ];
  }

  test('every arrival order and batch split of the same records gives the same unified records and links', async () => {
    const events = samePersonEvents();
    await apply(events);
    const expected = await unifiedState(db.tenantA);
    const jane = expected.records.find((r) => (r as { members: string[] }).members.length === 3) as
      | {
          members: string[];
          conflicts: Array<{ field: string }>;
          document: Record<string, unknown>;
          created_at: Date;
          updated_at: Date;
        }
      | undefined;
    // The earliest member's time; the newest time of a member whose value the document shows.
    assert.equal(jane?.created_at.toISOString(), '2026-11-20T10:00:00.000Z');
    assert.equal(jane?.updated_at.toISOString(), '2026-11-22T10:00:00.000Z');
    assert.deepEqual(jane?.members, ['opensolar:8812', 'opensolar:9001', 'solarproof:5150']);
    assert.equal(jane?.document['first_name'], 'J.', 'the newest record holding a value');
    assert.equal(jane?.document['status'], 'lead');
    assert.deepEqual(
      jane?.conflicts.map((c) => c.field),
      ['first_name'],
    );
    assert.equal(expected.records.length, 2);

    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
        fc.array(fc.boolean(), { minLength: events.length, maxLength: events.length }),
        fc.array(fc.nat(events.length - 1), { maxLength: 2 }),
        async (order, cuts, redelivered) => {
          await wipeTenant(db.tenantA);
          // Redeliveries of some events, later, as a consumer restart would bring them.
          const stream = [...order, ...redelivered.map((i) => order[i]!)];
          let batch: CanonicalEvent[] = [];
          for (const [i, event] of stream.entries()) {
            batch.push(event);
            if (cuts[i % cuts.length]) {
              await apply(batch);
              batch = [];
            }
          }
          if (batch.length > 0) await apply(batch);
          assert.deepEqual(await unifiedState(db.tenantA), expected);
        },
      ),
      { numRuns: 30 },
    );
  });

  test('with manual decisions and ranked providers set first, every arrival order gives the same records', async () => {
    const events = samePersonEvents();
    const setUp = async () => {
      await wipeTenant(db.tenantA);
      const rules = defaultLinkingRules();
      rules.conflicts.rank = { first_name: ['solarproof'] };
      await db.dataSource.transaction(async (manager) => {
        await unifiedRepository.saveRules(manager, db.tenantA, rules);
        // Decisions about records that have not arrived yet: a rebuild meets them this way too.
        const ref = (id: string) => ({ tenantId: db.tenantA, kind: 'customer' as const, id });
        await unifiedRepository.saveDecision(manager, ref('solarproof:5150'), 'unlink', null);
        await unifiedRepository.saveDecision(manager, ref('solarproof:7000'), 'link', 'opensolar:8812');
      });
    };
    await setUp();
    await apply(events);
    const expected = await unifiedState(db.tenantA);
    assert.deepEqual(expected.records.map((r) => (r as { members: string[] }).members).sort(), [
      ['opensolar:8812', 'opensolar:9001', 'solarproof:7000'],
      ['solarproof:5150'],
    ]);
    const bob = expected.records.find((r) => (r as { members: string[] }).members.length === 3) as {
      document: Record<string, unknown>;
    };
    assert.equal(bob.document['first_name'], 'Bob', 'the ranked provider, Solar Proof');

    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
        fc.array(fc.boolean(), { minLength: events.length, maxLength: events.length }),
        async (order, cuts) => {
          await setUp();
          await applyCut(order, cuts);
          assert.deepEqual(await unifiedState(db.tenantA), expected);
        },
      ),
      { numRuns: 25 },
    );
  });

  test("a conflicting field: 'latest' takes the newest record's value, 'rank' the ranked provider's", async () => {
    await apply([
      customer('opensolar', '1', '2026-11-20T10:00:00.000Z', {
        first_name: 'Jane',
        email: 'jane@example.com',
      }),
      customer('solarproof', '1', '2026-11-21T10:00:00.000Z', {
        first_name: 'Janet',
        email: 'jane@example.com',
      }),
    ]);
    const latest = await recordOf('customer', 'opensolar:1');
    assert.equal(latest.document['first_name'], 'Janet');
    assert.deepEqual(latest.conflicts, [
      {
        field: 'first_name',
        chosen: 'solarproof:1',
        policy: 'latest',
        values: [
          { record: 'opensolar:1', provider: 'opensolar', value: 'Jane' },
          { record: 'solarproof:1', provider: 'solarproof', value: 'Janet' },
        ],
      },
    ]);
    assert.deepEqual(latest.provenance['first_name'], {
      record: 'solarproof:1',
      provider: 'solarproof',
      source: '/sources/src_test',
      version: 1,
      time: '2026-11-21T10:00:00.000Z',
    });

    const rules = defaultLinkingRules();
    rules.conflicts.rank = { first_name: ['opensolar', 'solarproof'] };
    const changes = await db.dataSource.transaction(async (manager) => {
      await unifiedRepository.saveRules(manager, db.tenantA, rules);
      return unified.reevaluateTenant(manager, db.tenantA, 'customer', {
        id: 'rules-1',
        time: '2026-11-22T00:00:00.000Z',
        provider: 'hub',
      });
    });
    const ranked = await recordOf('customer', 'opensolar:1');
    assert.equal(ranked.document['first_name'], 'Jane');
    assert.equal(ranked.version, latest.version + 1);
    assert.equal((ranked.conflicts as Array<{ policy: string }>)[0]?.policy, 'rank');
    const [updated, ...more] = ofType(changes, 'unified_customer.updated');
    assert.equal(more.length, 0);
    assert.deepEqual(dataOf(updated!)['changed_fields'], ['unified_customer.first_name']);
    assert.equal(JSON.parse(updated!.json).subject, ranked.id);
  });

  test('two different people sharing a phone but not an email stay apart under the default rules', async () => {
    const changes = await apply([
      customer('opensolar', '1', '2026-11-20T10:00:00.000Z', {
        email: 'jane@example.com',
        phone: '415 555 0100',
      }),
      customer('solarproof', '2', '2026-11-20T10:00:00.000Z', {
        email: 'john@example.com',
        phone: '+14155550100',
      }),
    ]);
    const { records, links } = await unifiedState(db.tenantA);
    assert.equal(records.length, 2);
    assert.deepEqual(
      links.map((l) => (l as { linked_by: string }).linked_by),
      ['self', 'self'],
    );
    assert.equal(ofType(changes, 'customer.linked').length, 0);
    assert.equal(ofType(changes, 'unified_customer.created').length, 2);

    // A third holder of the phone, without an email, joins neither: it would tie both people.
    const third = await apply([
      customer('opensolar', '3', '2026-11-21T10:00:00.000Z', { email: null, phone: '(415) 555-0100' }),
    ]);
    const after = await unifiedState(db.tenantA);
    assert.equal(after.records.length, 3);
    assert.deepEqual(
      after.links.map((l) => (l as { linked_by: string }).linked_by),
      ['self', 'self', 'self'],
    );
    assert.equal(ofType(third, 'customer.linked').length, 0);

    // The same whatever order and batches the three arrive in.
    const events = [
      customer('opensolar', '1', '2026-11-20T10:00:00.000Z', {
        email: 'jane@example.com',
        phone: '415 555 0100',
      }),
      customer('solarproof', '2', '2026-11-20T10:00:00.000Z', {
        email: 'john@example.com',
        phone: '+14155550100',
      }),
      customer('opensolar', '3', '2026-11-21T10:00:00.000Z', { email: null, phone: '(415) 555-0100' }),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
        fc.array(fc.boolean(), { minLength: events.length, maxLength: events.length }),
        async (order, cuts) => {
          await wipeTenant(db.tenantA);
          await applyCut(order, cuts);
          assert.deepEqual(await unifiedState(db.tenantA), after);
        },
      ),
      { numRuns: 15 },
    );
  });

  test('a manual unlink stands apart from the rules, and survives a rebuild', async () => {
    const events = [
      customer('opensolar', '1', '2026-11-20T10:00:00.000Z', { email: 'jane@example.com' }),
      customer('solarproof', '2', '2026-11-21T10:00:00.000Z', { email: 'JANE@example.com' }),
    ];
    await db.bus.publishAll([{ topic: TOPICS.customers, messages: events.map((e) => asMessage({ ...e })) }]);
    await rebuildReadModels(db.dataSource, db.bus, { topicPrefix: 'hub', tenantId: db.tenantA });
    assert.deepEqual((await recordOf('customer', 'opensolar:1')).members, ['opensolar:1', 'solarproof:2']);

    const changes = await db.dataSource.transaction(async (manager) => {
      await unifiedRepository.saveDecision(
        manager,
        { tenantId: db.tenantA, kind: 'customer', id: 'solarproof:2' },
        'unlink',
        null,
      );
      return unified.reevaluateTenant(manager, db.tenantA, 'customer', {
        id: 'decision-1',
        time: '2026-11-22T00:00:00.000Z',
        provider: 'hub',
      });
    });
    const unlinked = ofType(changes, 'customer.unlinked');
    assert.deepEqual(unlinked.map((c) => JSON.parse(c.json).subject as string).sort(), [
      'opensolar:1',
      'solarproof:2',
    ]);
    assert.equal(dataOf(unlinked.find((c) => c.subject === 'solarproof:2')!)['linked_by'], 'manual');
    assert.deepEqual(dataOf(unlinked[0]!)['changed_fields'], ['unified_customer.members']);
    const separated = await unifiedState(db.tenantA);
    assert.equal(separated.records.length, 2);

    await rebuildReadModels(db.dataSource, db.bus, { topicPrefix: 'hub', tenantId: db.tenantA });
    assert.deepEqual(await unifiedState(db.tenantA), separated);
  });

  test('a record that changes no merged field emits no unified update; one that does emits exactly one', async () => {
    const created = await apply([
      customer('opensolar', '1', '2026-11-20T10:00:00.000Z', {
        first_name: 'Jane',
        email: 'jane@example.com',
        phone: null,
      }),
    ]);
    assert.equal(ofType(created, 'unified_customer.created').length, 1);
    const before = await recordOf('customer', 'opensolar:1');

    const same = await apply([
      customer('solarproof', '1', '2026-11-21T10:00:00.000Z', {
        first_name: 'Jane',
        email: 'Jane@Example.com',
        phone: null,
      }),
    ]);
    assert.equal(ofType(same, 'unified_customer.updated').length, 0);
    assert.equal(ofType(same, 'unified_customer.created').length, 0);
    assert.deepEqual(
      ofType(same, 'customer.linked')
        .map((c) => c.subject)
        .sort(),
      ['opensolar:1', 'solarproof:1'],
    );
    const linked = dataOf(ofType(same, 'customer.linked')[0]!);
    assert.deepEqual(linked, {
      changed_fields: ['unified_customer.members'],
      unified_id: before.id,
      record: 'opensolar:1',
      linked_by: 'rule',
      reason: { keys: ['email:jane@example.com'] },
      caused_by: linked['caused_by'],
    });
    // Only a subscription triggered by the unified type receives it; one of all event types with
    // the default or provider-record triggers does not, and the webhook carries the event's data.
    const event = JSON.parse(ofType(same, 'customer.linked')[0]!.json) as DispatchableEvent;
    const subscription = (trigger_fields: string[] | null) => ({
      id: 'sub_test',
      tenant_id: db.tenantA,
      event_types: [],
      trigger_fields,
      payload_fields: null,
    });
    assert.equal(matches(subscription(['customer.email']), event), false);
    assert.equal(matches(subscription(null), event), false);
    const [delivery] = new MatchingService().match([event], [subscription(['unified_customer.*'])]);
    assert.deepEqual((JSON.parse(delivery!.body) as { data: unknown }).data, linked);
    const after = await recordOf('customer', 'opensolar:1');
    assert.equal(after.version, before.version);
    assert.deepEqual(after.members, ['opensolar:1', 'solarproof:1']);

    const changing = await apply([
      customer('solarproof', '1', '2026-11-22T10:00:00.000Z', {
        first_name: 'Jane',
        email: 'jane@example.com',
        phone: '415 555 0100',
      }),
    ]);
    const updates = ofType(changing, 'unified_customer.updated');
    assert.equal(updates.length, 1);
    const data = dataOf(updates[0]!);
    assert.deepEqual(data['changed_fields'], ['unified_customer.phone']);
    assert.equal(data['entity_type'], 'unified_customer');
    assert.equal(data['version'], before.version + 1);
    assert.deepEqual(data['members'], ['opensolar:1', 'solarproof:1']);
    assert.equal(ofType(changing, 'customer.linked').length, 0);
  });

  test('projects are linked by the reference rule: a Pylon reference_number equal to an OpenSolar identifier', async () => {
    await apply([
      project('opensolar', '77', {
        reference_number: 'OS-1001',
        stage: 'sold',
        customers: ['opensolar:8812'],
      }),
      project('pylon-observer', 'p1', { reference_number: 'OS-1001', designs: [{ id: 'd1' }] }),
      project('pylon-observer', 'p2', { reference_number: 'OS-2002', designs: [] }),
    ]);
    const record = await recordOf('project', 'pylon-observer:p1');
    assert.match(record.id, /^unified:prj_[0-9a-f]{20}$/);
    assert.deepEqual(record.members, ['opensolar:77', 'pylon-observer:p1']);
    assert.equal(record.document['stage'], 'sold');
    assert.deepEqual(record.document['designs'], [{ id: 'd1' }]);
    assert.equal(record.document['customers'], undefined, 'per-provider ids are not merged');
    const alone = await recordOf('project', 'pylon-observer:p2');
    assert.deepEqual(alone.members, ['pylon-observer:p2']);
  });

  test('a manual link joins records the rules keep apart, and removing it parts them again', async () => {
    await apply([
      customer('opensolar', '1', '2026-11-20T10:00:00.000Z', {
        first_name: 'Jane',
        email: 'jane@home.example',
      }),
      customer('solarproof', '2', '2026-11-21T10:00:00.000Z', {
        first_name: 'Jane',
        email: 'jane@work.example',
      }),
    ]);
    const member = { tenantId: db.tenantA, kind: 'customer' as const, id: 'solarproof:2' };
    const cause = { id: 'decision-link', time: '2026-11-22T00:00:00.000Z', provider: 'hub' };
    const linked = await db.dataSource.transaction(async (manager) => {
      await unifiedRepository.saveDecision(manager, member, 'link', 'opensolar:1');
      return unified.reevaluateRecords(manager, [member], cause);
    });
    const record = await recordOf('customer', 'solarproof:2');
    assert.deepEqual(record.members, ['opensolar:1', 'solarproof:2']);
    assert.deepEqual(
      ofType(linked, 'customer.linked').map((c) => [c.subject, dataOf(c)['linked_by'], dataOf(c)['reason']]),
      [
        ['opensolar:1', 'manual', { linked_from: ['solarproof:2'] }],
        ['solarproof:2', 'manual', { linked_to: ['opensolar:1'] }],
      ],
    );
    const links = await linksOf('customer', 'unified_id', record.id);
    assert.deepEqual(
      links.map((l) => l.linked_by),
      ['manual', 'manual'],
    );
    // The same as re-evaluating the whole tenant would give.
    const state = await unifiedState(db.tenantA);
    await db.dataSource.transaction((manager) =>
      unified.reevaluateTenant(manager, db.tenantA, 'customer', cause),
    );
    assert.deepEqual(await unifiedState(db.tenantA), state);

    const parted = await db.dataSource.transaction(async (manager) => {
      await execute(
        manager,
        defineQuery('DELETE FROM unified_decisions WHERE tenant_id = $1 AND kind = $2 AND member_id = $3'),
        [member.tenantId, member.kind, member.id],
      );
      return unified.reevaluateRecords(manager, [member], { ...cause, id: 'decision-removed' });
    });
    assert.equal(ofType(parted, 'customer.unlinked').length, 2);
    assert.deepEqual((await recordOf('customer', 'solarproof:2')).members, ['solarproof:2']);
    assert.deepEqual((await recordOf('customer', 'opensolar:1')).members, ['opensolar:1']);
  });

  test('two batches of one tenant applied at once still link their records', async () => {
    for (let round = 0; round < 5; round++) {
      const email = `same-${round}@example.com`;
      await Promise.all([
        apply([customer('opensolar', `c${round}`, '2026-11-20T10:00:00.000Z', { email })]),
        apply([customer('solarproof', `c${round}`, '2026-11-20T10:00:00.000Z', { email })]),
      ]);
      assert.deepEqual((await recordOf('customer', `opensolar:c${round}`)).members, [
        `opensolar:c${round}`,
        `solarproof:c${round}`,
      ]);
    }
  });

  test('a record joining two groups merges them: one unified record replaces both', async () => {
    await apply([
      customer('opensolar', '2', '2026-11-20T10:00:00.000Z', { email: 'jane@example.com', phone: null }),
      customer('solarproof', '9', '2026-11-20T11:00:00.000Z', { email: null, phone: '415 555 0100' }),
    ]);
    const before = [
      (await recordOf('customer', 'opensolar:2')).id,
      (await recordOf('customer', 'solarproof:9')).id,
    ].sort();
    const changes = await apply([
      customer('opensolar', '1', '2026-11-21T10:00:00.000Z', {
        email: 'jane@example.com',
        phone: '+14155550100',
      }),
    ]);
    const merged = await recordOf('customer', 'solarproof:9');
    assert.deepEqual(merged.members, ['opensolar:1', 'opensolar:2', 'solarproof:9']);
    assert.ok(!before.includes(merged.id), 'the smallest member, opensolar:1, names the record');
    // It continues one of the records it replaces: an update of version 2, never a creation.
    assert.equal(ofType(changes, 'unified_customer.created').length, 0);
    const [updated, ...others] = ofType(changes, 'unified_customer.updated');
    assert.equal(others.length, 0);
    assert.deepEqual(dataOf(updated!)['replaces'], before);
    assert.equal(dataOf(updated!)['entity_id'], merged.id);
    assert.equal(dataOf(updated!)['version'], 2);
    assert.equal(merged.version, 2);
    assert.deepEqual(
      (
        await unifiedRepository.unifiedRecords(
          db.dataSource,
          before.map((id) => ({ tenantId: db.tenantA, kind: 'customer' as const, id })),
        )
      ).length,
      0,
      'the absorbed records are gone',
    );
    assert.deepEqual(
      ofType(changes, 'customer.linked')
        .map((c) => c.subject)
        .sort(),
      ['opensolar:1', 'opensolar:2', 'solarproof:9'],
    );
  });

  test('a record with a smaller id joining changes the id: the record carries on, no created, no update without a change', async () => {
    const first = await apply([
      customer('solarproof', '5150', '2026-11-21T10:00:00.000Z', {
        first_name: 'Jane',
        email: 'jane@example.com',
      }),
    ]);
    assert.equal(ofType(first, 'unified_customer.created').length, 1);
    const before = await recordOf('customer', 'solarproof:5150');
    const changes = await apply([
      customer('opensolar', '8812', '2026-11-20T10:00:00.000Z', {
        first_name: 'Jane',
        email: 'Jane@Example.com',
      }),
    ]);
    const after = await recordOf('customer', 'solarproof:5150');
    assert.notEqual(after.id, before.id, 'opensolar:8812, the smaller id, names the group now');
    assert.deepEqual(after.members, ['opensolar:8812', 'solarproof:5150']);
    assert.equal(ofType(changes, 'unified_customer.created').length, 0);
    assert.equal(ofType(changes, 'unified_customer.updated').length, 0);
    assert.equal(after.version, before.version, 'the version carries on');
    assert.deepEqual({ ...after.document, id: before.id }, before.document);
    const linked = ofType(changes, 'customer.linked');
    assert.deepEqual(linked.map((c) => c.subject).sort(), ['opensolar:8812', 'solarproof:5150']);
    const moved = dataOf(linked.find((c) => c.subject === 'solarproof:5150')!);
    assert.equal(moved['unified_id'], after.id);
    assert.deepEqual(moved['replaces'], [before.id]);
    assert.equal(
      (
        await unifiedRepository.unifiedRecords(db.dataSource, [
          { tenantId: db.tenantA, kind: 'customer', id: before.id },
        ])
      ).length,
      0,
    );

    // A change of the document after that is the next version, an update.
    const next = await apply([
      customer('opensolar', '8812', '2026-11-22T10:00:00.000Z', {
        first_name: 'Janet',
        email: 'jane@example.com',
      }),
    ]);
    const [updated, ...more] = ofType(next, 'unified_customer.updated');
    assert.equal(more.length, 0);
    assert.equal(dataOf(updated!)['version'], before.version + 1);
  });

  test('a rules change re-keys and regroups the tenant: plus addressing on links, email off parts', async () => {
    await apply([
      customer('opensolar', '1', '2026-11-20T10:00:00.000Z', { email: 'Jane+roof@Example.com' }),
      customer('solarproof', '1', '2026-11-21T10:00:00.000Z', { email: 'jane@example.com' }),
    ]);
    assert.deepEqual((await recordOf('customer', 'opensolar:1')).members, ['opensolar:1']);
    const cause = { id: 'rules-2', time: '2026-11-22T00:00:00.000Z', provider: 'hub' };
    const plus = defaultLinkingRules();
    plus.customer.plus_addressing = true;
    const joined = await db.dataSource.transaction(async (manager) => {
      await unifiedRepository.saveRules(manager, db.tenantA, plus);
      return unified.reevaluateTenant(manager, db.tenantA, undefined, cause);
    });
    assert.deepEqual((await recordOf('customer', 'opensolar:1')).members, ['opensolar:1', 'solarproof:1']);
    assert.equal(ofType(joined, 'customer.linked').length, 2);

    const off = { ...plus, customer: { ...plus.customer, email: false } };
    const parted = await db.dataSource.transaction(async (manager) => {
      await unifiedRepository.saveRules(manager, db.tenantA, off);
      return unified.reevaluateTenant(manager, db.tenantA, 'customer', { ...cause, id: 'rules-3' });
    });
    assert.deepEqual((await recordOf('customer', 'opensolar:1')).members, ['opensolar:1']);
    assert.equal(ofType(parted, 'customer.unlinked').length, 2);
    assert.deepEqual((await unifiedRepository.storedRules(db.dataSource, db.tenantA))?.rules, off);
  });

  test('via_customer: projects whose customers are one unified customer are linked, whatever came first', async () => {
    const rules = defaultLinkingRules();
    rules.project.via_customer = true;
    const customers = [
      customer('opensolar', '8812', '2026-11-20T10:00:00.000Z', { email: 'jane@example.com' }),
      customer('opensolar', '8813', '2026-11-20T11:00:00.000Z', { email: 'Jane@Example.com' }),
    ];
    const projects = [
      project('opensolar', '77', { stage: 'sold', customers: ['opensolar:8812'] }),
      project('opensolar', '78', { stage: 'lead', customers: ['opensolar:8813'] }),
    ];
    const states = [];
    for (const order of [
      [customers, projects],
      [projects, customers],
      [
        [customers[0]!, projects[1]!],
        [projects[0]!, customers[1]!],
      ],
    ]) {
      await wipeTenant(db.tenantA);
      await db.dataSource.transaction((manager) => unifiedRepository.saveRules(manager, db.tenantA, rules));
      for (const batch of order) await apply(batch);
      assert.deepEqual((await recordOf('project', 'opensolar:77')).members, ['opensolar:77', 'opensolar:78']);
      states.push(await unifiedState(db.tenantA));
    }
    assert.deepEqual(states[1], states[0]);
    assert.deepEqual(states[2], states[0]);

    // The customers parted by hand: their projects part too.
    const member = { tenantId: db.tenantA, kind: 'customer' as const, id: 'opensolar:8813' };
    const changes = await db.dataSource.transaction(async (manager) => {
      await unifiedRepository.saveDecision(manager, member, 'unlink', null);
      return unified.reevaluateRecords(manager, [member], {
        id: 'decision-unlink',
        time: '2026-11-22T00:00:00.000Z',
        provider: 'hub',
      });
    });
    assert.deepEqual((await recordOf('project', 'opensolar:77')).members, ['opensolar:77']);
    assert.deepEqual(
      ofType(changes, 'project.unlinked')
        .map((c) => c.subject)
        .sort(),
      ['opensolar:77', 'opensolar:78'],
    );
  });

  function parsed(event: Record<string, unknown>): CanonicalEvent {
    const result = parseCanonicalEvent(Buffer.from(JSON.stringify(event)));
    assert.ok('value' in result, JSON.stringify(result));
    return result.value;
  }
});
