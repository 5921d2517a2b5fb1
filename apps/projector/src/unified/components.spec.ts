import assert from 'node:assert/strict';
import { test } from 'node:test';
import { components, unifiedIdOf, type ManualDecision, type RecordKeys } from './components.js';
import { defaultLinkingRules, type LinkingRules } from './linking-rules.js';

const TENANT = '00000000-0000-4000-8000-000000000001';

/** Records by id, each of the provider its id names. */
function records(keys: Record<string, string[]> | Array<[string, string[]]>): Map<string, RecordKeys> {
  const entries = Array.isArray(keys) ? keys : Object.entries(keys);
  return new Map(entries.map(([id, k]) => [id, { provider: id.split(':')[0]!, keys: k }]));
}

function groupsOf(
  keys: Record<string, string[]>,
  rules: LinkingRules = defaultLinkingRules(),
  decisions: Record<string, ManualDecision> = {},
): string[][] {
  return components(records(keys), rules, new Map(Object.entries(decisions)))
    .map((g) => g.members)
    .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

test('records sharing an email are one group, transitively; others stand alone', () => {
  assert.deepEqual(
    groupsOf({
      'opensolar:1': ['email:jane@example.com'],
      'solarproof:5': ['email:jane@example.com', 'phone:+14155550100'],
      'opensolar:2': ['phone:+14155550100'],
      'opensolar:3': ['email:bob@example.com'],
    }),
    [['opensolar:1', 'opensolar:2', 'solarproof:5'], ['opensolar:3']],
  );
});

test('a shared phone does not link two people whose emails differ, under the default rules', () => {
  const keys = {
    'opensolar:1': ['email:jane@example.com', 'phone:+14155550100'],
    'solarproof:5': ['email:bob@example.com', 'phone:+14155550100'],
  };
  assert.deepEqual(groupsOf(keys), [['opensolar:1'], ['solarproof:5']]);
  const always = defaultLinkingRules();
  always.customer.phone = 'always';
  assert.deepEqual(groupsOf(keys, always), [['opensolar:1', 'solarproof:5']]);
});

test('a holder without an email does not join two people whose emails differ through their phone', () => {
  const entries: Array<[string, string[]]> = [
    ['opensolar:1', ['email:jane@example.com', 'phone:+1415']],
    ['solarproof:5', ['email:bob@example.com', 'phone:+1415']],
    ['opensolar:9', ['phone:+1415']],
  ];
  // Every order of the records: the key's holders decide, never the pair looked at first.
  for (const order of [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ]) {
    const given = order.map((i) => entries[i]!);
    assert.deepEqual(
      components(records(given), defaultLinkingRules(), new Map())
        .map((g) => g.members)
        .sort(),
      [['opensolar:1'], ['opensolar:9'], ['solarproof:5']],
    );
  }
  // Holders with one email between them, and one without: all linked.
  assert.deepEqual(
    groupsOf({
      'opensolar:1': ['email:jane@example.com', 'phone:+1415'],
      'solarproof:5': ['email:jane@example.com', 'phone:+1415'],
      'opensolar:9': ['phone:+1415'],
    }),
    [['opensolar:1', 'opensolar:9', 'solarproof:5']],
  );
});

test('a shared phone links when one record has no email', () => {
  assert.deepEqual(
    groupsOf({ 'opensolar:1': ['email:jane@example.com', 'phone:+1415'], 'solarproof:5': ['phone:+1415'] }),
    [['opensolar:1', 'solarproof:5']],
  );
});

test('email linking off: a shared email alone links nobody', () => {
  const rules = defaultLinkingRules();
  rules.customer.email = false;
  assert.deepEqual(groupsOf({ a: ['email:j@x.com'], b: ['email:j@x.com'] }, rules), [['a'], ['b']]);
});

test('an unlinked record gets no rule edge; a manual link still joins it', () => {
  const keys = { a: ['email:j@x.com'], b: ['email:j@x.com'], c: ['email:j@x.com'] };
  assert.deepEqual(groupsOf(keys, undefined, { b: { decision: 'unlink', target: null } }), [
    ['a', 'c'],
    ['b'],
  ]);
  assert.deepEqual(
    groupsOf(keys, undefined, {
      b: { decision: 'unlink', target: null },
      c: { decision: 'link', target: 'b' },
    }),
    [['a', 'b', 'c']],
  );
});

test('a manual link joins records that share nothing, and says so in the reasons', () => {
  const [group] = components(
    records([
      ['a', ['email:a@x.com']],
      ['b', []],
    ]),
    defaultLinkingRules(),
    new Map([['a', { decision: 'link' as const, target: 'b' }]]),
  );
  assert.deepEqual(group?.members, ['a', 'b']);
  assert.deepEqual(group?.links.get('a'), { linkedBy: 'manual', reason: { linked_to: ['b'] } });
  assert.deepEqual(group?.links.get('b'), { linkedBy: 'manual', reason: { linked_from: ['a'] } });
});

test('a rule link names the keys shared; a record alone is self', () => {
  const groups = components(
    records([
      ['a', ['email:j@x.com']],
      ['b', ['email:j@x.com']],
      ['c', ['email:c@x.com']],
    ]),
    defaultLinkingRules(),
    new Map(),
  );
  const [ab, c] = groups;
  assert.deepEqual(ab?.links.get('a'), { linkedBy: 'rule', reason: { keys: ['email:j@x.com'] } });
  assert.deepEqual(c?.links.get('c'), { linkedBy: 'self', reason: null });
});

test('groups do not depend on the order records are given in', () => {
  const entries: Array<[string, string[]]> = [
    ['a', ['email:j@x.com']],
    ['b', ['phone:+1']],
    ['c', ['email:j@x.com', 'phone:+1']],
    ['d', ['ref:0:R']],
  ];
  const forward = components(records(entries), defaultLinkingRules(), new Map());
  const backward = components(records([...entries].reverse()), defaultLinkingRules(), new Map());
  assert.deepEqual(
    forward.map((g) => g.members),
    backward.map((g) => g.members),
  );
});

test('a reference rule links one side to the other, never two records of one side', () => {
  const shared = ['ref:0:OS-1'];
  assert.deepEqual(groupsOf({ 'pylon-observer:p1': shared, 'pylon-observer:p2': shared }), [
    ['pylon-observer:p1'],
    ['pylon-observer:p2'],
  ]);
  assert.deepEqual(
    groupsOf({ 'pylon-observer:p1': shared, 'pylon-observer:p2': shared, 'opensolar:7': shared }),
    [['opensolar:7', 'pylon-observer:p1', 'pylon-observer:p2']],
  );
});

test('the unified id comes from the tenant and the smallest member only', () => {
  const id = unifiedIdOf('customer', TENANT, ['solarproof:5', 'opensolar:8812']);
  assert.match(id, /^unified:cus_[0-9a-f]{20}$/);
  assert.equal(unifiedIdOf('customer', TENANT, ['opensolar:8812', 'x:1']), id);
  assert.notEqual(unifiedIdOf('customer', '00000000-0000-4000-8000-000000000002', ['opensolar:8812']), id);
  assert.match(unifiedIdOf('project', TENANT, ['opensolar:1']), /^unified:prj_/);
});
