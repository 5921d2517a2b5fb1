import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anyOfContracts, defineContract } from './contract.js';
import { exactly, INTEGER, optional } from './rules.js';

const Pair = defineContract<{ kind: 'pair'; size: number }>({
  name: 'Pair',
  contentType: 'application/json',
  what: 'a pair',
  rules: { kind: exactly('pair'), size: INTEGER, note: optional(exactly('x')) },
});
const Single = defineContract<{ kind: 'single' }>({
  name: 'Single',
  contentType: 'application/json',
  what: 'a single',
  rules: { kind: exactly('single') },
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

test('a topic of several types accepts any of them and explains by its first', () => {
  const either = anyOfContracts<object>('either', [Pair, Single]);
  assert.equal(either.name, 'either');
  assert.equal(either.problem({ kind: 'single' }), null);
  assert.equal(either.problem({ kind: 'pair', size: 1 }), null);
  assert.deepEqual(either.parse(Buffer.from('{"kind":"none"}')), { error: 'not a pair: kind must be pair' });
  assert.equal(anyOfContracts('one', [Single]), Single);
  assert.throws(() => anyOfContracts('none', []), /at least one/);
});
