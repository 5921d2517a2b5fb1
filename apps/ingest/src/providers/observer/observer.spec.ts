import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { events, request, source } from '../mapping.testing.js';
import { observer } from './observer.provider.js';

describe('Observer', () => {
  test('events are keyed by the monitored thing and deduplicated by their own id', () => {
    const mapped = observer.map(
      { id: 'e1', type: 'slo.burn_started', slo_id: 'slo-3' },
      request,
      source('observer'),
    );
    assert.equal(mapped.kind, 'events');
    if (mapped.kind !== 'events') return;
    assert.equal(mapped.deliveryId, 'e1');
    assert.equal(mapped.events[0]!.externalId, 'slo:slo-3');
    assert.equal(mapped.events[0]!.type, 'monitoring.slo.burn_started');
  });

  test('an event without the id of its subject is unmappable, naming the field', () => {
    assert.throws(
      () => events('observer', { type: 'agent.offline' }),
      /agent\.id \(or agent_id\) is required/,
    );
  });
});
