import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeStandardWebhooksSecret,
  generateSecret,
  generateStandardWebhooksSecret,
  RANDOM_SECRET,
  STANDARD_WEBHOOKS_SECRET,
  standardWebhooksSecretProblem,
} from './secrets.js';

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

describe('standardWebhooksSecretProblem', () => {
  test('accepts a generated secret and any whsec_ key of 16 bytes or more', () => {
    assert.equal(standardWebhooksSecretProblem(generateStandardWebhooksSecret()), null);
    assert.equal(standardWebhooksSecretProblem(`whsec_${Buffer.alloc(16).toString('base64')}`), null);
    assert.equal(STANDARD_WEBHOOKS_SECRET.problem(STANDARD_WEBHOOKS_SECRET.generate()), null);
  });

  test('names the format for a missing prefix, a short key or text that is not base64', () => {
    const expected = 'secret must be whsec_ followed by at least 16 bytes in base64';
    for (const secret of [
      Buffer.alloc(32).toString('base64'),
      `whsec_${Buffer.alloc(15).toString('base64')}`,
      'whsec_not base64!',
      'whsec_',
    ]) {
      assert.equal(standardWebhooksSecretProblem(secret), expected, secret);
    }
  });

  test('random secrets take whatever the caller chose', () => {
    assert.equal(RANDOM_SECRET.problem('anything'), null);
    assert.match(RANDOM_SECRET.generate(), /^[A-Za-z0-9_-]{43}$/);
  });
});

describe('decodeStandardWebhooksSecret', () => {
  test('is the key after whsec_, or null when the rest is not base64', () => {
    assert.deepEqual(decodeStandardWebhooksSecret('whsec_AAEC'), Buffer.from([0, 1, 2]));
    assert.deepEqual(decodeStandardWebhooksSecret('AAEC'), Buffer.from([0, 1, 2]));
    assert.equal(decodeStandardWebhooksSecret('whsec_%%%'), null);
  });
});
