import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hasLoneSurrogateEscape } from './json-guard.js';

describe('hasLoneSurrogateEscape', () => {
  test('finds half a surrogate pair escaped in a value or a key', () => {
    assert.equal(hasLoneSurrogateEscape('{"agent_id":"x\\ud800"}'), true);
    assert.equal(hasLoneSurrogateEscape('{"\\uDC00":1}'), true);
    assert.equal(hasLoneSurrogateEscape('{"a":"\\ud83d\\u0041"}'), true);
    assert.equal(hasLoneSurrogateEscape('{"a":"\\ud83d"}'), true);
  });

  test('passes pairs, other escapes and an escaped backslash before "ud800"', () => {
    assert.equal(hasLoneSurrogateEscape('{"a":"\\ud83d\\ude00","b":"\\u0041\\n\\""}'), false);
    assert.equal(hasLoneSurrogateEscape('{"a":"\\\\ud800"}'), false);
    assert.equal(hasLoneSurrogateEscape('{"a":"😀 é"}'), false);
  });
});
