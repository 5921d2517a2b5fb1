import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inboundRequest } from '../inbound-request.testing.js';
import { signSharedSecretHeader, verifySharedSecretHeader } from './shared-secret-header.scheme.js';

const secret = 'cs_9fQ2-secret';
const body = Buffer.from('{"case":1}');

function reasonOf(result: ReturnType<typeof verifySharedSecretHeader>): string {
  return result.ok ? 'ok' : result.reason;
}

const requestWith = (value: string | string[] | undefined, payload: Buffer = body) =>
  inboundRequest({ 'X-Webhook-Secret': value }, payload);

describe('shared-secret-header', () => {
  test('round trip: what sign produces, verify accepts', () => {
    assert.deepEqual(verifySharedSecretHeader(secret, inboundRequest(signSharedSecretHeader(secret), body)), {
      ok: true,
    });
  });

  test('sign is the literal secret in X-Webhook-Secret', () => {
    assert.deepEqual(signSharedSecretHeader('cs_9fQ2-secret'), { 'X-Webhook-Secret': 'cs_9fQ2-secret' });
    assert.deepEqual(
      verifySharedSecretHeader(secret, inboundRequest({ 'x-webhook-secret': 'cs_9fQ2-secret' }, body)),
      {
        ok: true,
      },
    );
  });

  test('a wrong, longer, shorter or differently cased value is a mismatch', () => {
    for (const value of ['other', `${secret}x`, secret.slice(0, -1), secret.toUpperCase(), ` ${secret}x`]) {
      assert.equal(reasonOf(verifySharedSecretHeader(secret, requestWith(value))), 'mismatch', value);
    }
  });

  test('a missing or empty header is missing', () => {
    assert.equal(reasonOf(verifySharedSecretHeader(secret, requestWith(undefined))), 'missing');
    assert.equal(reasonOf(verifySharedSecretHeader(secret, requestWith(''))), 'missing');
  });

  test('the body is not covered: a changed body with the right secret still passes', () => {
    // This scheme authenticates the sender only; recorded here so nobody assumes otherwise.
    assert.deepEqual(verifySharedSecretHeader(secret, requestWith(secret, Buffer.from('{"case":2}'))), {
      ok: true,
    });
  });

  test('garbage does not throw; an empty configured secret never matches', () => {
    assert.equal(reasonOf(verifySharedSecretHeader(secret, requestWith([secret, secret]))), 'malformed');
    assert.equal(reasonOf(verifySharedSecretHeader(secret, requestWith('x'.repeat(1_000_000)))), 'malformed');
    assert.equal(reasonOf(verifySharedSecretHeader('', requestWith(''))), 'mismatch');
    assert.equal(reasonOf(verifySharedSecretHeader('', requestWith('anything'))), 'mismatch');
    assert.throws(() => signSharedSecretHeader(''), TypeError);
  });
});
