import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SubscriptionRow } from '../subscriptions/subscription.repository.js';
import type { NewDelivery } from './delivery.repository.js';
import { claimedOnInsert, handOverIds } from './hand-over.js';

const TENANT = '00000000-0000-4000-8000-000000000001';

function matched(id: string, subscriptionId: string, entityKey: string): NewDelivery {
  return {
    tenantId: TENANT,
    id,
    subscriptionId,
    changeId: `chg_${id}`,
    eventType: 'project.updated',
    entityKey,
    body: `{"id":"${id}"}`,
    changeTime: '2026-01-01T00:00:00.000Z',
  };
}

describe('hand-over of matched deliveries', () => {
  test('offers in order while there is room, within each subscription’s share', () => {
    const batch = [
      matched('a1', 'sub_a', 'p/1'),
      matched('a2', 'sub_a', 'p/2'),
      matched('b1', 'sub_b', 'p/1'),
      matched('a3', 'sub_a', 'p/3'),
      matched('b2', 'sub_b', 'p/2'),
    ];
    const room = { free: 10, perSubscription: 3, held: new Map([['sub_a', 1]]) };
    assert.deepEqual([...handOverIds(batch, room)], ['a1', 'a2', 'b1', 'b2']);
    assert.deepEqual([...handOverIds(batch, { ...room, free: 2 })], ['a1', 'a2']);
    assert.deepEqual([...handOverIds(batch, { ...room, free: 0 })], []);
  });

  test('offers only the first of each (subscription, entity): a later one waits for it', () => {
    const batch = [
      matched('a1', 'sub_a', 'p/1'),
      matched('a2', 'sub_a', 'p/1'),
      matched('b1', 'sub_b', 'p/1'),
    ];
    assert.deepEqual(
      [...handOverIds(batch, { free: 10, perSubscription: 10, held: new Map() })],
      ['a1', 'b1'],
    );
    // The first was not offered (its subscription is full): nor is the later one of its entity.
    const full = { free: 10, perSubscription: 1, held: new Map([['sub_a', 1]]) };
    assert.deepEqual([...handOverIds(batch, full)], ['b1']);
  });

  test('builds what a claim would have returned, once for each stored-claimed one alone', () => {
    const subscription = {
      tenant_id: TENANT,
      id: 'sub_a',
      endpoint: 'https://example.com/hook',
      headers: {},
      signature_scheme: 'standard-webhooks',
      secret_sealed: Buffer.from('sealed'),
      previous_secret_sealed: null,
      previous_secret_expires_at: null,
      failing_since: null,
    } as unknown as SubscriptionRow;
    const lease = new Date('2026-01-01T00:01:00.000Z');
    const traced = { ...matched('a1', 'sub_a', 'p/1'), traceContext: { traceparent: '00-1-2-01' } };
    const [claimed, ...rest] = claimedOnInsert(
      [traced, matched('a2', 'sub_a', 'p/2'), traced],
      [subscription],
      [{ id: 'a1', lease_until: lease }],
    );
    assert.deepEqual(rest, []);
    assert.equal(claimed?.id, 'a1');
    assert.equal(claimed?.body, traced.body);
    assert.equal(claimed?.attempts, 0);
    assert.equal(claimed?.lease_until, lease);
    assert.equal(claimed?.change_time.toISOString(), traced.changeTime);
    assert.deepEqual(claimed?.trace_context, traced.traceContext);
    assert.equal(claimed?.endpoint, subscription.endpoint);
    assert.equal(claimed?.secret_sealed, subscription.secret_sealed);
  });
});
