import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultLinkingRules } from './linking-rules.js';
import { mergeGroup, type MergeMember } from './merge.js';

function member(id: string, time: string | null, document: Record<string, unknown>): MergeMember {
  return {
    id,
    provider: id.split(':')[0]!,
    document: { id, external_id: id.split(':')[1], ...document },
    version: 1,
    sources: [`/sources/src_${id.split(':')[0]}`],
    time,
  };
}

const older = member('opensolar:1', '2026-01-01T00:00:00.000Z', {
  first_name: 'Jane',
  email: 'JANE@example.com',
  phone: null,
  status: 'lead',
});
const newer = member('solarproof:5', '2026-02-01T00:00:00.000Z', {
  first_name: 'Janet',
  email: 'jane@example.com',
  phone: '415 555 0100',
  status: null,
});

test("'latest' takes the newest provider time's value; per-record fields are left out", () => {
  const merged = mergeGroup('unified:cus_x', [older, newer], defaultLinkingRules());
  assert.deepEqual(merged.document, {
    id: 'unified:cus_x',
    email: 'jane@example.com',
    first_name: 'Janet',
    phone: '+14155550100',
    status: 'lead',
  });
  assert.deepEqual(merged.provenance['first_name'], {
    record: 'solarproof:5',
    provider: 'solarproof',
    source: '/sources/src_solarproof',
    version: 1,
    time: '2026-02-01T00:00:00.000Z',
  });
  // Only the member holding a value is a candidate.
  assert.equal(merged.provenance['status']?.record, 'opensolar:1');
});

test('conflicts list every field whose members differ, emails compared normalised', () => {
  const merged = mergeGroup('unified:cus_x', [newer, older], defaultLinkingRules());
  assert.deepEqual(merged.conflicts, [
    {
      field: 'first_name',
      chosen: 'solarproof:5',
      policy: 'latest',
      values: [
        { record: 'opensolar:1', provider: 'opensolar', value: 'Jane' },
        { record: 'solarproof:5', provider: 'solarproof', value: 'Janet' },
      ],
    },
  ]);
});

test("'rank' takes the first ranked provider with a value, unranked ones after by 'latest'", () => {
  const rules = defaultLinkingRules();
  rules.conflicts.rank = { first_name: ['opensolar'], status: ['solarproof'] };
  const merged = mergeGroup('unified:cus_x', [newer, older], rules);
  assert.equal(merged.document['first_name'], 'Jane');
  assert.equal(merged.provenance['first_name']?.record, 'opensolar:1');
  assert.equal(merged.conflicts[0]?.policy, 'rank');
  // solarproof holds no status: the unranked opensolar's stands.
  assert.equal(merged.document['status'], 'lead');
});

test('a tie in time goes to the smallest member id; no time is oldest', () => {
  const a = member('solarproof:2', '2026-01-01T00:00:00.000Z', { first_name: 'A' });
  const b = member('opensolar:9', '2026-01-01T00:00:00.000Z', { first_name: 'B' });
  const c = member('casesolved:1', null, { first_name: 'C' });
  assert.equal(mergeGroup('u', [a, b, c], defaultLinkingRules()).document['first_name'], 'B');
  assert.equal(mergeGroup('u', [c, b, a], defaultLinkingRules()).document['first_name'], 'B');
});

test('the merge is the same for every order of its members', () => {
  const third = member('opensolar:0', '2026-01-15T00:00:00.000Z', {
    first_name: 'J.',
    phone: '+14155550100',
  });
  const orders = [
    [older, newer, third],
    [third, newer, older],
    [newer, third, older],
  ];
  const [first, ...rest] = orders.map((o) => JSON.stringify(mergeGroup('u', o, defaultLinkingRules())));
  for (const other of rest) assert.equal(other, first);
});
