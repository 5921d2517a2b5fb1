import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deterministicEventId } from '../cloudevents.js';
import {
  buildRawDelivery,
  parseRawDelivery,
  RawDeliveryContract,
  type RawDeliveryFields,
} from './raw-delivery.js';

const TENANT = '6f1c2f4e-8a3b-4c5d-9e6f-7a8b9c0d1e2f';
const fields: RawDeliveryFields = {
  id: deterministicEventId(['src_test', 'sha256:00', 'raw']),
  tenant: TENANT,
  sourceId: 'src_test',
  provider: 'casesolved',
  receivedAt: new Date('2026-11-22T10:00:00.000Z'),
  headers: { 'content-type': 'application/json', 'x-webhook-secret': '[redacted]' },
  query: {},
  contentType: 'application/json',
  body: Buffer.from('{"a":1}'),
  eventIds: [deterministicEventId(['e'])],
};
const built = buildRawDelivery(fields);
const valid = built as unknown as Record<string, unknown>;

test('a built raw delivery has its members in the order the raw topic has always had', () => {
  assert.equal(
    JSON.stringify(built),
    `{"id":"${fields.id}","tenant":"${TENANT}","source":"src_test","provider":"casesolved",` +
      `"received_at":"2026-11-22T10:00:00.000Z","headers":{"content-type":"application/json",` +
      `"x-webhook-secret":"[redacted]"},"query":{},"content_type":"application/json",` +
      `"body_base64":"eyJhIjoxfQ==","event_ids":["${fields.eventIds[0]}"]}`,
  );
});

test('an unmapped raw delivery says so, and why, last', () => {
  const unmapped = buildRawDelivery({
    ...fields,
    eventIds: [],
    contentType: null,
    unmappedReason: 'no type',
  });
  assert.match(
    JSON.stringify(unmapped),
    /"content_type":null,.*"event_ids":\[\],"unmapped":true,"reason":"no type"}$/,
  );
  assert.equal(RawDeliveryContract.problem(unmapped as unknown as Record<string, unknown>), null);
});

test('a built raw delivery passes both checks and parses', () => {
  assert.equal(RawDeliveryContract.is(valid), true);
  assert.equal(RawDeliveryContract.problem(valid), null);
  assert.deepEqual(parseRawDelivery(Buffer.from(JSON.stringify(built))), { value: built });
});

const broken: Array<[Record<string, unknown>, string]> = [
  [{ id: 'raw_1' }, 'id must be an event id (evt_ and 32 hex digits)'],
  [{ tenant: 'x' }, 'tenant must be a UUID'],
  [{ source: '/sources/src_test' }, 'source must be a source id (src_…)'],
  [
    { provider: 'other' },
    'provider must be one of pylon-observer, observer, opensolar, casesolved, solarproof, standard-webhooks',
  ],
  [{ received_at: 'now' }, 'received_at must be an ISO 8601 time'],
  [{ headers: { 'x-count': 1 } }, 'headers must be an object of strings'],
  [{ query: [] }, 'query must be an object of strings'],
  [{ content_type: undefined }, 'content_type must be a string or null'],
  [{ body_base64: null }, 'body_base64 must be a string'],
  [{ event_ids: [1] }, 'event_ids must be an array of strings'],
  [{ unmapped: false }, 'unmapped must be true when present'],
  [{ reason: 3 }, 'reason must be a string when present'],
];

test('each rule rejects what it should, in its own words', () => {
  for (const [change, says] of broken) {
    const body = { ...valid, ...change };
    assert.equal(RawDeliveryContract.is(body), false, JSON.stringify(change));
    assert.equal(RawDeliveryContract.problem(body), `not a raw delivery: ${says}`, JSON.stringify(change));
  }
  const fields = new Set(broken.flatMap(([change]) => Object.keys(change)));
  assert.deepEqual([...fields].sort(), Object.keys(RawDeliveryContract.rules).sort());
});
