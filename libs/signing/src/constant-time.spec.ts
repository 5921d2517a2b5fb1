import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { constantTimeEquals } from './constant-time.js';

describe('constantTimeEquals', () => {
  test('equal strings and equal buffers are equal', () => {
    assert.equal(constantTimeEquals('s3cret', 's3cret'), true);
    assert.equal(constantTimeEquals(Buffer.from([1, 2, 3]), Buffer.from([1, 2, 3])), true);
    assert.equal(constantTimeEquals('', ''), true);
  });

  test('a string equals a buffer of its UTF-8 bytes', () => {
    assert.equal(constantTimeEquals('héllo', Buffer.from('héllo', 'utf8')), true);
  });

  test('different values of the same length differ', () => {
    assert.equal(constantTimeEquals('s3cret', 's3creT'), false);
    assert.equal(constantTimeEquals(Buffer.from([1, 2, 3]), Buffer.from([1, 2, 4])), false);
  });

  test('different lengths differ without throwing, including prefixes and the empty string', () => {
    assert.equal(constantTimeEquals('s3cret', 's3cret!'), false);
    assert.equal(constantTimeEquals('s3cret', 's3c'), false);
    assert.equal(constantTimeEquals('', 's3cret'), false);
    assert.equal(constantTimeEquals(Buffer.alloc(0), Buffer.alloc(1)), false);
    assert.equal(constantTimeEquals('x'.repeat(100_000), 'x'.repeat(100_001)), false);
  });
});
