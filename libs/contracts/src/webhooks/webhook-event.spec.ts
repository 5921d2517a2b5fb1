import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildWebhookEvent, WebhookEventContract } from './webhook-event.js';

const TENANT = '6f1c2f4e-8a3b-4c5d-9e6f-7a8b9c0d1e2f';
const built = buildWebhookEvent({
  id: `dlv_${'0a'.repeat(16)}`,
  type: 'project.created',
  tenant: TENANT,
  subject: 'opensolar:42',
  time: '2026-11-22T10:00:00.000Z',
  data: { changed_fields: ['project.stage'] },
});
const valid = built as unknown as Record<string, unknown>;

test('a built webhook body has the members, in order, that subscribers have always received', () => {
  assert.equal(
    JSON.stringify(built),
    `{"specversion":"1.0","id":"dlv_${'0a'.repeat(16)}","type":"project.created","source":"/tenants/${TENANT}",` +
      `"subject":"opensolar:42","time":"2026-11-22T10:00:00.000Z","datacontenttype":"application/json",` +
      `"data":{"changed_fields":["project.stage"]}}`,
  );
});

test('a built webhook body passes the check and parses', () => {
  assert.equal(WebhookEventContract.problem(valid), null);
  assert.equal(WebhookEventContract.problem({ ...valid, id: 'msg_Ab-_12' }), null);
  assert.deepEqual(WebhookEventContract.parse(Buffer.from(JSON.stringify(built))), { value: built });
});

const broken: Array<[Record<string, unknown>, string]> = [
  [{ specversion: '0.3' }, 'specversion must be 1.0'],
  [{ id: 'evt_1' }, 'id must be a delivery id (dlv_…) or message id (msg_…)'],
  [{ type: '' }, 'type must be an event type (1 to 100 of A-Z a-z 0-9 . _ -)'],
  [{ source: `/tenants/${TENANT}/dispatcher` }, 'source must be /tenants/<tenant>'],
  [{ subject: null }, 'subject must be a string'],
  [{ time: '22/11/2026' }, 'time must be an ISO 8601 time'],
  [{ datacontenttype: 'text/plain' }, 'datacontenttype must be application/json'],
  [{ data: true }, 'data must be an object'],
];

test('each rule rejects what it should, in its own words', () => {
  for (const [change, says] of broken) {
    const body = { ...valid, ...change };
    assert.equal(WebhookEventContract.problem(body), `not a webhook event: ${says}`, JSON.stringify(change));
  }
  const fields = new Set(broken.flatMap(([change]) => Object.keys(change)));
  assert.deepEqual([...fields].sort(), Object.keys(WebhookEventContract.rules).sort());
});
