import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cloudEventHeaders, deterministicEventId } from './cloudevents.js';

test('a CloudEvent travels with its content type, id and type as bus headers', () => {
  assert.deepEqual(cloudEventHeaders({ id: 'evt_1', type: 'project.upserted' }), {
    'content-type': 'application/cloudevents+json',
    'ce-id': 'evt_1',
    'ce-type': 'project.upserted',
  });
});

test('event ids are derived from their parts: the same parts give the same id, others another', () => {
  const id = deterministicEventId(['src_1', 'delivery', '0']);
  assert.match(id, /^evt_[0-9a-f]{32}$/);
  assert.equal(deterministicEventId(['src_1', 'delivery', '0']), id);
  assert.notEqual(deterministicEventId(['src_1', 'delivery', '1']), id);
  // The separator keeps part boundaries: ['a', 'bc'] and ['ab', 'c'] are different events.
  assert.notEqual(deterministicEventId(['a', 'bc']), deterministicEventId(['ab', 'c']));
});
