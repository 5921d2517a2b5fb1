import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { inboundRequest } from '../inbound-request.testing.js';
import {
  OBSERVER_SIGNATURE_HEADER,
  OUTBOUND_SIGNATURE_HEADER,
  signHmacSha256Hex,
  verifyHmacSha256Hex,
} from './hmac-sha256-hex.scheme.js';

const secret = 'test-secret';
const body = Buffer.from('{"event":"ping"}');

/** Written out independently of the code under test. */
function expectedHeaderValue(key: string, payload: Buffer): string {
  return 'sha256=' + createHmac('sha256', key).update(payload).digest('hex');
}

function reasonOf(result: ReturnType<typeof verifyHmacSha256Hex>): string {
  return result.ok ? 'ok' : result.reason;
}

const observerRequest = (value: string | string[] | undefined, payload: Buffer = body) =>
  inboundRequest({ 'X-Observer-Signature': value }, payload);

describe('hmac-sha256-hex', () => {
  test('the two header names are the observer inbound and our outbound ones', () => {
    assert.equal(OBSERVER_SIGNATURE_HEADER, 'X-Observer-Signature');
    assert.equal(OUTBOUND_SIGNATURE_HEADER, 'X-Signature');
  });

  test('round trip in both header names; outbound is the default', () => {
    for (const header of [OBSERVER_SIGNATURE_HEADER, OUTBOUND_SIGNATURE_HEADER]) {
      const headers = signHmacSha256Hex(secret, body, header);
      assert.deepEqual(Object.keys(headers), [header]);
      assert.deepEqual(verifyHmacSha256Hex(secret, inboundRequest(headers, body), header), { ok: true });
    }
    assert.deepEqual(Object.keys(signHmacSha256Hex(secret, body)), ['X-Signature']);
  });

  test('sign matches sha256= plus HMAC-SHA256 hex computed with node:crypto', () => {
    assert.deepEqual(signHmacSha256Hex(secret, body, OBSERVER_SIGNATURE_HEADER), {
      'X-Observer-Signature': expectedHeaderValue(secret, body),
    });
    assert.deepEqual(
      verifyHmacSha256Hex(
        secret,
        observerRequest(expectedHeaderValue(secret, body)),
        OBSERVER_SIGNATURE_HEADER,
      ),
      { ok: true },
    );
  });

  test('sign matches a literal computed with openssl dgst -sha256 -hmac', () => {
    // printf '%s' '{"event":"ping"}' | openssl dgst -sha256 -hmac test-secret
    assert.deepEqual(signHmacSha256Hex(secret, '{"event":"ping"}'), {
      'X-Signature': 'sha256=1948becfc8e40fd416f0431da9555961532a0de3b28a4e74200e91a0ead6c60d',
    });
  });

  test('wrong secret or tampered body is a mismatch; a missing header is missing', () => {
    const valid = expectedHeaderValue(secret, body);
    const header = OBSERVER_SIGNATURE_HEADER;
    assert.equal(reasonOf(verifyHmacSha256Hex('other', observerRequest(valid), header)), 'mismatch');
    assert.equal(
      reasonOf(verifyHmacSha256Hex(secret, observerRequest(valid, Buffer.from('{}')), header)),
      'mismatch',
    );
    assert.equal(reasonOf(verifyHmacSha256Hex(secret, observerRequest(undefined), header)), 'missing');
    // Signed correctly but in the other header name: the one looked for is missing.
    assert.equal(
      reasonOf(verifyHmacSha256Hex(secret, observerRequest(valid), OUTBOUND_SIGNATURE_HEADER)),
      'missing',
    );
  });

  test('a value without the sha256= prefix, or not 64 hex characters, is malformed', () => {
    const hex = createHmac('sha256', secret).update(body).digest('hex');
    for (const value of [
      hex,
      `sha1=${hex}`,
      `SHA256=${hex}`,
      `sha256=${hex}00`,
      'sha256=',
      `sha256=${'g'.repeat(64)}`,
    ]) {
      assert.equal(
        reasonOf(verifyHmacSha256Hex(secret, observerRequest(value), OBSERVER_SIGNATURE_HEADER)),
        'malformed',
      );
    }
  });

  test('garbage does not throw: duplicates, huge values, empty secret', () => {
    const header = OBSERVER_SIGNATURE_HEADER;
    const valid = expectedHeaderValue(secret, body);
    assert.equal(reasonOf(verifyHmacSha256Hex(secret, observerRequest([valid, valid]), header)), 'malformed');
    assert.equal(
      reasonOf(verifyHmacSha256Hex(secret, observerRequest('x'.repeat(1_000_000)), header)),
      'malformed',
    );
    assert.equal(
      reasonOf(verifyHmacSha256Hex('', observerRequest(expectedHeaderValue('', body)), header)),
      'mismatch',
    );
  });
});
