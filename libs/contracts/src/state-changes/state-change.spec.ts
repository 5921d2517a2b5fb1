import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCanonicalEvent } from '../canonical/canonical-event.js';
import { deterministicEventId } from '../cloudevents.js';
import { buildOperationalEvent } from '../operational/operational-event.js';
import {
  buildStateChange,
  parseStateChange,
  stateChangeEnvelope,
  StateChangeContract,
} from './state-change.js';

const TENANT = '6f1c2f4e-8a3b-4c5d-9e6f-7a8b9c0d1e2f';
const cause = buildCanonicalEvent({
  id: deterministicEventId(['cause']),
  sourceId: 'src_test',
  type: 'activity.email_sent',
  subject: 'opensolar:42',
  time: '2026-11-22T10:00:00.000Z',
  tenant: TENANT,
  provider: 'opensolar',
  data: { id: 'opensolar:42' },
});
const id = deterministicEventId([TENANT, 'pass-through', cause.id]);
const built = buildStateChange(cause, id, cause.type, { ...cause.data, caused_by: cause.id });
const valid = built as unknown as Record<string, unknown>;

test('a built state change keeps the projector’s member order, its cause’s subject, time and provider', () => {
  assert.equal(
    JSON.stringify(built),
    `{"specversion":"1.0","source":"/tenants/${TENANT}","subject":"opensolar:42",` +
      `"time":"2026-11-22T10:00:00.000Z","datacontenttype":"application/json","tenant":"${TENANT}",` +
      `"provider":"opensolar","id":"${id}","type":"activity.email_sent",` +
      `"data":{"id":"opensolar:42","caused_by":"${cause.id}"}}`,
  );
  assert.deepEqual({ ...stateChangeEnvelope(cause, id, cause.type), data: built.data }, built);
});

test('a built state change, and an operational event, pass both checks and parse', () => {
  assert.equal(StateChangeContract.is(valid), true);
  assert.equal(StateChangeContract.problem(valid), null);
  assert.deepEqual(parseStateChange(Buffer.from(JSON.stringify(built))), { value: built });
  const operational = buildOperationalEvent('subscription.disabled', TENANT, 'sub_AbC-12_x', {}, ['t']);
  assert.equal(StateChangeContract.problem(operational as unknown as Record<string, unknown>), null);
});

const SUBJECT = 'subject must be an entity id (provider:external id) or a subscription id (sub_…)';
const broken: Array<[Record<string, unknown>, string]> = [
  [{ specversion: '2.0' }, 'specversion must be 1.0'],
  [{ id: 'chg_1' }, 'id must be an event id (evt_ and 32 hex digits)'],
  [{ type: 'a b' }, 'type must be an event type (1 to 100 of A-Z a-z 0-9 . _ -)'],
  [{ source: null }, 'source must be a string'],
  [{ subject: 'plain' }, SUBJECT],
  [{ subject: 'sub_' }, SUBJECT],
  [{ subject: 12 }, SUBJECT],
  [{ time: 'Sun, 22 Nov 2026 10:00:00 GMT' }, 'time must be an ISO 8601 time'],
  [{ tenant: 'acme' }, 'tenant must be a UUID'],
  [{ data: [1] }, 'data must be an object'],
];

test('each rule rejects what it should, in its own words', () => {
  for (const [change, says] of broken) {
    const body = { ...valid, ...change };
    assert.equal(StateChangeContract.is(body), false, JSON.stringify(change));
    assert.equal(
      StateChangeContract.problem(body),
      `not a dispatchable event: ${says}`,
      JSON.stringify(change),
    );
  }
  const fields = new Set(broken.flatMap(([change]) => Object.keys(change)));
  assert.deepEqual([...fields].sort(), Object.keys(StateChangeContract.rules).sort());
});

test('provider and datacontenttype are not required: operational events have neither', () => {
  const { provider: _p, datacontenttype: _d, ...rest } = built;
  assert.equal(StateChangeContract.problem(rest), null);
});
