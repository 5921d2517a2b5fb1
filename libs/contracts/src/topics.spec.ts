import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TOPIC_MESSAGES, topicNames } from './topics.js';

test('every topic declares the messages it carries', () => {
  assert.deepEqual(Object.keys(TOPIC_MESSAGES).sort(), Object.keys(topicNames()).sort());
  for (const key of [
    'projects',
    'slowProjects',
    'customers',
    'slowCustomers',
    'monitoring',
    'slowMonitoring',
  ] as const)
    assert.deepEqual(
      TOPIC_MESSAGES[key].map((contract) => contract.name),
      ['CanonicalEvent'],
    );
  assert.deepEqual(
    TOPIC_MESSAGES.rawDeliveries.map((c) => c.name),
    ['RawDelivery'],
  );
  assert.deepEqual(
    TOPIC_MESSAGES.stateChanges.map((c) => c.name),
    ['StateChange', 'OperationalEvent'],
  );
  assert.deepEqual(
    TOPIC_MESSAGES.deadLetters.map((c) => c.name),
    ['DeadLetter', 'OperationalEvent'],
  );
});
