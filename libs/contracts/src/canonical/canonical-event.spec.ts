import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deterministicEventId } from '../cloudevents.js';
import {
  buildCanonicalEvent,
  canonicalEventProblem,
  CanonicalEventContract,
  parseCanonicalEvent,
} from './canonical-event.js';

const TENANT = '6f1c2f4e-8a3b-4c5d-9e6f-7a8b9c0d1e2f';

const built = buildCanonicalEvent({
  id: deterministicEventId(['src_test', 'id:1', '0']),
  sourceId: 'src_test',
  type: 'project.upserted',
  subject: 'pylon-observer:p-1',
  time: '2026-11-22T10:00:00.000Z',
  tenant: TENANT,
  provider: 'pylon-observer',
  data: { id: 'pylon-observer:p-1', stage: 'Lead' },
});
const valid = built as unknown as Record<string, unknown>;

test('a built canonical event has the envelope, in the order, that the bus has always carried', () => {
  assert.equal(
    JSON.stringify(built),
    `{"specversion":"1.0","id":"${built.id}","source":"/sources/src_test","type":"project.upserted",` +
      `"subject":"pylon-observer:p-1","time":"2026-11-22T10:00:00.000Z","datacontenttype":"application/json",` +
      `"tenant":"${TENANT}","provider":"pylon-observer","data":{"id":"pylon-observer:p-1","stage":"Lead"}}`,
  );
  assert.match(built.id, /^evt_[0-9a-f]{32}$/);
});

test('a built canonical event passes both checks and parses', () => {
  assert.equal(CanonicalEventContract.is(valid), true);
  assert.equal(canonicalEventProblem(valid), null);
  assert.equal(CanonicalEventContract.is({ ...valid, extra: 'kept', data: {} }), true);
  assert.deepEqual(parseCanonicalEvent(Buffer.from(JSON.stringify(built))), { value: built });
});

/** One broken field each, and what the explaining check says about it. */
const broken: Array<[Record<string, unknown>, string]> = [
  [{ specversion: '1.1' }, 'specversion must be 1.0'],
  [{ specversion: undefined }, 'specversion must be 1.0'],
  [{ id: 'evt_short' }, 'id must be an event id (evt_ and 32 hex digits)'],
  [{ id: `evt_${'A'.repeat(32)}` }, 'id must be an event id (evt_ and 32 hex digits)'],
  [{ id: 42 }, 'id must be an event id (evt_ and 32 hex digits)'],
  [{ source: 7 }, 'source must be a string'],
  [{ source: undefined }, 'source must be a string'],
  [{ type: 'has space' }, 'type must be an event type (1 to 100 of A-Z a-z 0-9 . _ -)'],
  [{ type: 'x'.repeat(101) }, 'type must be an event type (1 to 100 of A-Z a-z 0-9 . _ -)'],
  [
    { subject: 'no-colon' },
    'subject must be an entity id (provider:external id, at most 300 characters after the colon)',
  ],
  [
    { subject: `opensolar:${'x'.repeat(301)}` },
    'subject must be an entity id (provider:external id, at most 300 characters after the colon)',
  ],
  [
    { subject: 'opensolar:a\nb' },
    'subject must be an entity id (provider:external id, at most 300 characters after the colon)',
  ],
  [
    { subject: ['pylon-observer:p-1'] },
    'subject must be an entity id (provider:external id, at most 300 characters after the colon)',
  ],
  [{ time: 'yesterday' }, 'time must be an ISO 8601 time'],
  [{ time: 1_700_000_000_000 }, 'time must be an ISO 8601 time'],
  [{ tenant: 'not-a-uuid' }, 'tenant must be a UUID'],
  [
    { provider: 'nobody' },
    'provider must be one of pylon-observer, observer, opensolar, casesolved, solarproof, standard-webhooks',
  ],
  [{ data: [] }, 'data must be an object'],
  [{ data: null }, 'data must be an object'],
  [{ data: 'text' }, 'data must be an object'],
];

test('each rule rejects what it should, in its own words', () => {
  for (const [change, says] of broken) {
    const body = { ...valid, ...change };
    assert.equal(CanonicalEventContract.is(body), false, JSON.stringify(change));
    assert.equal(canonicalEventProblem(body), `not a canonical event: ${says}`, JSON.stringify(change));
    assert.deepEqual(parseCanonicalEvent(Buffer.from(JSON.stringify(body))), {
      error: `not a canonical event: ${says}`,
    });
  }
});

test('every rule of the table is exercised above', () => {
  const fields = new Set(broken.flatMap(([change]) => Object.keys(change)));
  assert.deepEqual([...fields].sort(), Object.keys(CanonicalEventContract.rules).sort());
});

test('tenant ids are accepted in any UUID version and case', () => {
  for (const tenant of [
    '00000000-0000-0000-0000-000000000000',
    TENANT.toUpperCase(),
    '6f1c2f4e-8a3b-0c5d-0e6f-7a8b9c0d1e2f',
  ])
    assert.equal(canonicalEventProblem({ ...valid, tenant }), null, tenant);
});
