import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildOperationalEvent, isOperationalType, OperationalEventContract } from './operational-event.js';

const TENANT = '6f1c2f4e-8a3b-4c5d-9e6f-7a8b9c0d1e2f';
const data = { subscription_id: 'sub_abc', delivery_id: 'dlv_1' };
const built = buildOperationalEvent('delivery.exhausted', TENANT, 'sub_abc', data, ['dlv_1', '7']);
const valid = built as unknown as Record<string, unknown>;

test('a built operational event has the dispatcher’s members, in order, and a deterministic id', () => {
  assert.equal(
    JSON.stringify(built),
    `{"specversion":"1.0","id":"${built.id}","type":"delivery.exhausted",` +
      `"source":"/tenants/${TENANT}/dispatcher","subject":"sub_abc","time":"${built.time}",` +
      `"tenant":"${TENANT}","data":${JSON.stringify(data)}}`,
  );
  const again = buildOperationalEvent('delivery.exhausted', TENANT, 'sub_abc', data, ['dlv_1', '7']);
  assert.equal(again.id, built.id);
  assert.notEqual(
    buildOperationalEvent('delivery.exhausted', TENANT, 'sub_abc', data, ['dlv_1', '8']).id,
    built.id,
  );
});

test('a built operational event passes both checks and parses', () => {
  assert.equal(OperationalEventContract.is(valid), true);
  assert.equal(OperationalEventContract.problem(valid), null);
  assert.deepEqual(OperationalEventContract.parse(Buffer.from(JSON.stringify(built))), { value: built });
  assert.equal(isOperationalType('subscription.recovered'), true);
  assert.equal(isOperationalType('project.updated'), false);
});

const broken: Array<[Record<string, unknown>, string]> = [
  [{ specversion: 1 }, 'specversion must be 1.0'],
  [{ id: 'evt_' }, 'id must be an event id (evt_ and 32 hex digits)'],
  [
    { type: 'project.updated' },
    'type must be one of delivery.exhausted, subscription.disabled, subscription.recovered',
  ],
  [{ source: `/tenants/${TENANT}` }, 'source must be /tenants/<tenant>/dispatcher'],
  [{ subject: 'opensolar:42' }, 'subject must be a subscription id (sub_…)'],
  [{ time: '' }, 'time must be an ISO 8601 time'],
  [{ tenant: undefined }, 'tenant must be a UUID'],
  [{ data: 'x' }, 'data must be an object'],
];

test('each rule rejects what it should, in its own words', () => {
  for (const [change, says] of broken) {
    const body = { ...valid, ...change };
    assert.equal(OperationalEventContract.is(body), false, JSON.stringify(change));
    assert.equal(
      OperationalEventContract.problem(body),
      `not an operational event: ${says}`,
      JSON.stringify(change),
    );
  }
  const fields = new Set(broken.flatMap(([change]) => Object.keys(change)));
  assert.deepEqual([...fields].sort(), Object.keys(OperationalEventContract.rules).sort());
});
