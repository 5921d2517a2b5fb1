import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DispatchableEvent } from '@hub/contracts';
import { MatchingService, NOT_MATCHED, whyNotMatched, type Matchable } from './matching.service.js';

const TENANT = '6f1c2f4e-8a3b-4c5d-9e6f-7a8b9c0d1e2f';
const change = (type: string, changed: string[] | null): DispatchableEvent => ({
  specversion: '1.0',
  id: `evt_${'a'.repeat(32)}`,
  type,
  source: `/tenants/${TENANT}`,
  subject: 'opensolar:42',
  time: '2026-11-22T10:00:00.000Z',
  tenant: TENANT,
  data: changed
    ? {
        entity_type: 'project',
        entity_id: 'opensolar:42',
        version: 2,
        changed_fields: changed,
        document: { stage: 'Sold', notes: 'private' },
      }
    : { message: 'an activity' },
});
const subscription = (fields: Partial<Matchable> = {}): Matchable => ({
  tenant_id: TENANT,
  id: 'sub_a',
  event_types: [],
  trigger_fields: null,
  payload_fields: null,
  ...fields,
});

describe('matching', () => {
  test('says why a change does not go to a subscription', () => {
    const stage = subscription({ event_types: ['project.*'], trigger_fields: ['project.stage'] });
    assert.equal(whyNotMatched(stage, change('project.updated', ['project.stage'])), null);
    assert.equal(whyNotMatched(stage, change('customer.updated', ['customer.name'])), NOT_MATCHED.eventType);
    assert.equal(
      whyNotMatched(stage, change('project.updated', ['project.notes'])),
      NOT_MATCHED.triggerFields,
    );
    assert.equal(
      whyNotMatched(stage, change('project.activity', null)),
      null,
      'no changed fields: type alone',
    );
  });

  test('a preview builds the very delivery match() inserts', () => {
    const matching = new MatchingService();
    const sub = subscription({ payload_fields: ['project.stage'] });
    const events = [change('project.updated', ['project.stage']), change('project.updated', ['x.y'])];
    const [hit, miss] = matching.preview(events, sub);
    assert.deepEqual(hit!.delivery, matching.match([events[0]!], [sub])[0]);
    assert.deepEqual(JSON.parse(hit!.delivery!.body).data.project, { stage: 'Sold' });
    assert.equal(miss!.delivery, null);
    assert.equal(miss!.reason, NOT_MATCHED.triggerFields);
  });
});
