import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildDeadLetter, DeadLetterContract } from './dead-letter.js';

const failed = {
  topic: 'hub.canonical.projects',
  partition: 3,
  offset: '1207',
  value: Buffer.from('{"id":"nope"}'),
};
const built = buildDeadLetter('projector', failed, 'not a canonical event: id must be an event id');
const valid = built as unknown as Record<string, unknown>;

test('a built dead letter says where the message was, why it failed, and holds it as text', () => {
  assert.equal(
    JSON.stringify(built),
    `{"group":"projector","topic":"hub.canonical.projects","partition":3,"offset":"1207",` +
      `"error":"not a canonical event: id must be an event id","attempts":1,"failed_at":"${built.failed_at}",` +
      `"value":"{\\"id\\":\\"nope\\"}"}`,
  );
});

test('a built dead letter passes both checks and parses', () => {
  assert.equal(DeadLetterContract.is(valid), true);
  assert.equal(DeadLetterContract.problem(valid), null);
  assert.deepEqual(DeadLetterContract.parse(Buffer.from(JSON.stringify(built))), { value: built });
});

const broken: Array<[Record<string, unknown>, string]> = [
  [{ group: undefined }, 'group must be a string'],
  [{ topic: 1 }, 'topic must be a string'],
  [{ partition: '3' }, 'partition must be an integer'],
  [{ offset: 1207 }, 'offset must be an offset (decimal digits)'],
  [{ offset: '-1' }, 'offset must be an offset (decimal digits)'],
  [{ error: null }, 'error must be a string'],
  [{ attempts: 2 }, 'attempts must be 1'],
  [{ failed_at: 'later' }, 'failed_at must be an ISO 8601 time'],
  [{ value: { id: 'nope' } }, 'value must be a string'],
];

test('each rule rejects what it should, in its own words', () => {
  for (const [change, says] of broken) {
    const body = { ...valid, ...change };
    assert.equal(DeadLetterContract.is(body), false, JSON.stringify(change));
    assert.equal(DeadLetterContract.problem(body), `not a dead letter: ${says}`, JSON.stringify(change));
  }
  const fields = new Set(broken.flatMap(([change]) => Object.keys(change)));
  assert.deepEqual([...fields].sort(), Object.keys(DeadLetterContract.rules).sort());
});
