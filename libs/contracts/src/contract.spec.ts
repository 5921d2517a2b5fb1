import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineContract } from './contract.js';
import { exactly, INTEGER, optional } from './rules.js';

const Pair = defineContract<{ kind: 'pair'; size: number }>({
  name: 'Pair',
  contentType: 'application/json',
  what: 'a pair',
  rules: { kind: exactly('pair'), size: INTEGER, note: optional(exactly('x')) },
});

test('the fast and the explaining check read the same rules; the first broken one is named', () => {
  assert.equal(Pair.is({ kind: 'pair', size: 2 }), true);
  assert.equal(Pair.problem({ kind: 'pair', size: 2 }), null);
  assert.equal(Pair.is({ kind: 'pair', size: 2.5 }), false);
  assert.equal(Pair.problem({ kind: 'trio', size: 2.5 }), 'not a pair: kind must be pair');
  assert.equal(Pair.problem({ kind: 'pair', size: '2' }), 'not a pair: size must be an integer');
  assert.equal(Pair.problem({ kind: 'pair', size: 2, note: 'y' }), 'not a pair: note must be x when present');
});

test('parse tells JSON that is not an object, or not JSON, from a message that breaks a rule', () => {
  assert.deepEqual(Pair.parse(Buffer.from('{"kind":"pair","size":1}')), { value: { kind: 'pair', size: 1 } });
  assert.deepEqual(Pair.parse(Buffer.from('{"kind":')), { error: 'the message is not JSON' });
  assert.deepEqual(Pair.parse(Buffer.from('[1]')), { error: 'the message is not a JSON object' });
  assert.deepEqual(Pair.parse(Buffer.from('null')), { error: 'the message is not a JSON object' });
  assert.deepEqual(Pair.parse(Buffer.from('{"kind":"pair"}')), {
    error: 'not a pair: size must be an integer',
  });
});
