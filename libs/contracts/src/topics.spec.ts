import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCanonicalEvent } from './canonical/canonical-event.js';
import { deterministicEventId } from './cloudevents.js';
import { buildDeadLetter } from './dead-letters/dead-letter.js';
import { buildOperationalEvent } from './operational/operational-event.js';
import { TOPIC_MESSAGES, topicContract, topicKeyOf, topicNames, type TopicKey } from './topics.js';

const TENANT = '6f1c2f4e-8a3b-4c5d-9e6f-7a8b9c0d1e2f';
const json = (value: object) => Buffer.from(JSON.stringify(value));

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

test('a topic’s contract parses what its producers build, and refuses another topic’s message', () => {
  const canonical = buildCanonicalEvent({
    id: deterministicEventId(['x']),
    sourceId: 'src_a',
    type: 'customer.upserted',
    subject: 'opensolar:c-1',
    time: '2026-11-22T10:00:00.000Z',
    tenant: TENANT,
    provider: 'opensolar',
    data: {},
  });
  const exhausted = buildOperationalEvent('delivery.exhausted', TENANT, 'sub_a', {}, ['1']);
  const letter = buildDeadLetter(
    'g',
    { topic: 't', partition: 0, offset: '0', value: Buffer.from('x') },
    'e',
  );
  assert.deepEqual(topicContract('slowCustomers').parse(json(canonical)), { value: canonical });
  assert.deepEqual(topicContract('deadLetters').parse(json(exhausted)), { value: exhausted });
  assert.deepEqual(topicContract('deadLetters').parse(json(letter)), { value: letter });
  assert.deepEqual(topicContract('stateChanges').parse(json(exhausted)), { value: exhausted });
  assert.deepEqual(topicContract('deadLetters').parse(json(canonical)), {
    error: 'not a dead letter: group must be a string',
  });
  assert.match(
    String((topicContract('projects').parse(json(letter)) as { error: string }).error),
    /^not a canonical event/,
  );
});

test('a topic name maps back to its key under any prefix', () => {
  const topics = topicNames('acme');
  for (const key of Object.keys(topics) as TopicKey[]) assert.equal(topicKeyOf(topics, topics[key]), key);
  assert.equal(topicKeyOf(topics, 'hub.state.changes'), undefined);
});
