import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultLinkingRules } from './linking-rules.js';
import { mergeGroup } from './merge.js';
import { memberKey, previousOf, recordTimes, replacesOf, type GroupOutcome } from './unified-changes.js';
import type { LinkRow, MemberRow, UnifiedRecordHead } from './unified.repository.js';

const TENANT = '00000000-0000-4000-8000-000000000001';
const NEW_ID = 'unified:cus_new';

function member(id: string, time: string | null, document: Record<string, unknown> = {}): MemberRow {
  return {
    tenant_id: TENANT,
    kind: 'customer',
    id,
    provider: id.split(':')[0]!,
    document,
    version: 1,
    sources: [],
    time: time ? new Date(time) : null,
  };
}

function outcome(members: MemberRow[]): GroupOutcome {
  const merged = mergeGroup(
    NEW_ID,
    members.map((m) => ({ ...m, time: m.time?.toISOString() ?? null })),
    defaultLinkingRules(),
  );
  return {
    tenantId: TENANT,
    kind: 'customer',
    unifiedId: NEW_ID,
    group: { members: members.map((m) => m.id), links: new Map() },
    merged,
    members,
    cause: { id: 'cause-1', time: '2026-12-01T00:00:00.000Z', provider: 'hub' },
  };
}

function linkOf(memberId: string, unifiedId: string): [string, LinkRow] {
  const row: LinkRow = {
    tenant_id: TENANT,
    kind: 'customer',
    member_id: memberId,
    unified_id: unifiedId,
    linked_by: 'rule',
    reason: null,
  };
  return [memberKey({ tenantId: TENANT, kind: 'customer', id: memberId }), row];
}

function head(id: string, members: string[], version: number, document: Record<string, unknown>) {
  const row: UnifiedRecordHead = { tenant_id: TENANT, kind: 'customer', id, version, document, members };
  return [memberKey({ tenantId: TENANT, kind: 'customer', id }), row] as const;
}

test('a group replaces the old ids of its members that no group keeps', () => {
  const group = outcome([member('a:1', null), member('b:1', null), member('c:1', null)]);
  const oldLinks = new Map([linkOf('a:1', 'u:A'), linkOf('b:1', 'u:B'), linkOf('c:1', NEW_ID)]);
  const live = new Set([memberKey({ tenantId: TENANT, kind: 'customer', id: 'u:B' })]);
  assert.deepEqual(replacesOf(group, oldLinks, live), ['u:A']);
});

test('a renamed group continues the replaced record with the most members in common, the id aside', () => {
  const group = outcome([member('a:1', null, { name: 'Jane' }), member('b:1', null), member('c:1', null)]);
  const heads = new Map([
    head('u:A', ['a:1'], 7, { id: 'u:A', name: 'Jane' }),
    head('u:B', ['b:1', 'c:1'], 3, { id: 'u:B', name: 'Jane' }),
  ]);
  const previous = previousOf(group, heads, ['u:A', 'u:B']);
  assert.equal(previous?.predecessor, true);
  assert.equal(previous?.head.id, 'u:B');
  assert.equal(previous?.head.version, 3);
  assert.equal(previous?.documentSame, true);
  assert.equal(previous?.membersSame, false);
  // On a tie, the smallest id.
  const tie = new Map([head('u:A', ['a:1'], 7, { id: 'u:A' }), head('u:B', ['b:1'], 3, { id: 'u:B' })]);
  assert.equal(previousOf(group, tie, ['u:A', 'u:B'])?.head.id, 'u:A');
  assert.equal(previousOf(group, new Map(), ['u:A']), null);
});

test("a record's times come from its members': the earliest, and the newest the document shows", () => {
  const times = recordTimes(
    outcome([
      member('a:1', '2026-11-20T10:00:00.000Z', { name: 'Jane' }),
      member('b:1', '2026-11-22T10:00:00.000Z', { name: null }),
      member('c:1', '2026-11-21T10:00:00.000Z', { phone: '+14155550100' }),
    ]),
  );
  assert.deepEqual(times, {
    createdAt: '2026-11-20T10:00:00.000Z',
    updatedAt: '2026-11-21T10:00:00.000Z',
  });
  const untimed = recordTimes(outcome([member('a:1', null, { name: 'Jane' })]));
  assert.deepEqual(untimed, { createdAt: '2026-12-01T00:00:00.000Z', updatedAt: '2026-12-01T00:00:00.000Z' });
});
