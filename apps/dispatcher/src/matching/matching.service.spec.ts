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

  test('the default payload is the whole document of whatever changed, a unified record too', () => {
    const matching = new MatchingService();
    const unified: DispatchableEvent = {
      ...change('unified_customer.updated', null),
      subject: 'unified:cus_0123456789abcdef0123',
      data: {
        entity_type: 'unified_customer',
        entity_id: 'unified:cus_0123456789abcdef0123',
        version: 3,
        changed_fields: ['unified_customer.email'],
        document: { email: 'ada@example.com', name: 'Ada' },
      },
    };
    const onUnified = subscription({ trigger_fields: ['unified_customer.*'] });
    const [delivery] = matching.match([unified], [onUnified]);
    assert.deepEqual(JSON.parse(delivery!.body).data.unified_customer, {
      email: 'ada@example.com',
      name: 'Ada',
    });
    const [project] = matching.match([change('project.updated', ['project.stage'])], [subscription()]);
    assert.deepEqual(JSON.parse(project!.body).data.project, { stage: 'Sold', notes: 'private' });
    assert.deepEqual(
      matching.match([unified], [subscription()]),
      [],
      'the default triggers are the providers’ entities: unified changes are asked for by name',
    );
  });
});
