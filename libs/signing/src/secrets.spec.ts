import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateSecret, generateStandardWebhooksSecret } from './secrets.js';

describe('generateSecret', () => {
  test('is 32 random bytes as base64url, different every time', () => {
    const secret = generateSecret();
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(secret, 'base64url').length, 32);
    assert.notEqual(generateSecret(), secret);
  });
});

describe('generateStandardWebhooksSecret', () => {
  test('is whsec_ followed by base64 of 32 random bytes', () => {
    const secret = generateStandardWebhooksSecret();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(secret.slice('whsec_'.length), 'base64').length, 32);
    assert.notEqual(generateStandardWebhooksSecret(), secret);
  });
});
