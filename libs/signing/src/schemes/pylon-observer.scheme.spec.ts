import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { inboundRequest, msAt } from '../inbound-request.testing.js';
import { signPylonObserver, verifyPylonObserver } from './pylon-observer.scheme.js';

const secret = 'test-secret';
const body = Buffer.from('{"event":"ping"}');
const ts = 1_700_000_000;
const now = msAt(ts);

/** Written out independently of the code under test: HMAC-SHA256(secret, body ‖ timestamp), hex. */
function expectedSignature(key: string, payload: Buffer, timestamp: string): string {
  return createHmac('sha256', key)
    .update(Buffer.concat([payload, Buffer.from(timestamp)]))
    .digest('hex');
}

function signedRequest(payload: Buffer = body, timestamp = String(ts), key = secret) {
  return inboundRequest(
    {
      'X-Pylon-Observer-Signature': expectedSignature(key, payload, timestamp),
      'X-Pylon-Observer-Timestamp': timestamp,
    },
    payload,
  );
}

function reasonOf(result: ReturnType<typeof verifyPylonObserver>): string {
  return result.ok ? 'ok' : result.reason;
}

describe('pylon-observer', () => {
  test('round trip: what sign produces, verify accepts', () => {
    const headers = signPylonObserver(secret, body, ts);
    assert.deepEqual(verifyPylonObserver(secret, inboundRequest(headers, body), now), { ok: true });
  });

  test('sign matches HMAC-SHA256 over body then timestamp computed with node:crypto', () => {
    assert.deepEqual(signPylonObserver(secret, body, ts), {
      'X-Pylon-Observer-Timestamp': '1700000000',
      'X-Pylon-Observer-Signature': expectedSignature(secret, body, '1700000000'),
    });
    assert.deepEqual(verifyPylonObserver(secret, signedRequest(), now), { ok: true });
  });

  test('sign matches a literal computed with openssl dgst -sha256 -hmac', () => {
    // printf '%s' '{"event":"ping"}1700000000' | openssl dgst -sha256 -hmac test-secret
    const literal = '68d2bd14c78a2c3a3edaf30a99eb6d475c5e6eb5b88a91c4ca6aea6d109c7e33';
    assert.equal(signPylonObserver(secret, body, ts)['X-Pylon-Observer-Signature'], literal);
    assert.equal(signPylonObserver(secret, body.toString(), ts)['X-Pylon-Observer-Signature'], literal);
  });

  test('uppercase hex is the same signature', () => {
    const request = signedRequest();
    const signature = request.headers['x-pylon-observer-signature'] as string;
    request.headers['x-pylon-observer-signature'] = signature.toUpperCase();
    assert.deepEqual(verifyPylonObserver(secret, request, now), { ok: true });
  });

  test('wrong secret, tampered body or tampered timestamp is a mismatch', () => {
    assert.equal(reasonOf(verifyPylonObserver('other-secret', signedRequest(), now)), 'mismatch');
    const tamperedBody = signedRequest();
    tamperedBody.body = Buffer.from('{"event":"pong"}');
    assert.equal(reasonOf(verifyPylonObserver(secret, tamperedBody, now)), 'mismatch');
    const tamperedTimestamp = signedRequest();
    tamperedTimestamp.headers['x-pylon-observer-timestamp'] = String(ts + 1);
    assert.equal(reasonOf(verifyPylonObserver(secret, tamperedTimestamp, now)), 'mismatch');
  });

  test('a missing signature or timestamp header is missing', () => {
    for (const header of ['x-pylon-observer-signature', 'x-pylon-observer-timestamp']) {
      const request = signedRequest();
      delete request.headers[header];
      const result = verifyPylonObserver(secret, request, now);
      assert.equal(reasonOf(result), 'missing');
      assert.match(!result.ok ? result.detail : '', new RegExp(header, 'i'));
    }
  });

  test('a timestamp 61 s away either way is outside the window; 59 s and 60 s are inside', () => {
    assert.equal(
      reasonOf(verifyPylonObserver(secret, signedRequest(body, String(ts - 61)), now)),
      'timestamp-outside-window',
    );
    assert.equal(
      reasonOf(verifyPylonObserver(secret, signedRequest(body, String(ts + 61)), now)),
      'timestamp-outside-window',
    );
    assert.equal(reasonOf(verifyPylonObserver(secret, signedRequest(body, String(ts - 59)), now)), 'ok');
    assert.equal(reasonOf(verifyPylonObserver(secret, signedRequest(body, String(ts + 59)), now)), 'ok');
    assert.equal(reasonOf(verifyPylonObserver(secret, signedRequest(body, String(ts - 60)), now)), 'ok');
  });

  test('a timestamp that is not an integer is malformed, even when correctly signed', () => {
    for (const timestamp of ['1700000000.5', '-1700000000', '1.7e9', 'now', ' 1700000000x', '0x6553F100']) {
      assert.equal(
        reasonOf(verifyPylonObserver(secret, signedRequest(body, timestamp), now)),
        'malformed',
        timestamp,
      );
    }
  });

  test('details never reveal the secret or the expected signature', () => {
    const request = signedRequest();
    request.headers['x-pylon-observer-signature'] = 'f'.repeat(64);
    const result = verifyPylonObserver(secret, request, now);
    assert.equal(result.ok, false);
    const detail = !result.ok ? result.detail : '';
    assert.doesNotMatch(detail, new RegExp(secret));
    assert.doesNotMatch(detail, new RegExp(expectedSignature(secret, body, String(ts))));
  });

  test('garbage does not throw: duplicates, non-hex, huge headers, empty secret', () => {
    const duplicated = signedRequest();
    duplicated.headers['x-pylon-observer-signature'] = ['a'.repeat(64), 'b'.repeat(64)];
    assert.equal(reasonOf(verifyPylonObserver(secret, duplicated, now)), 'malformed');
    const nonHex = signedRequest();
    nonHex.headers['x-pylon-observer-signature'] = 'z'.repeat(64);
    assert.equal(reasonOf(verifyPylonObserver(secret, nonHex, now)), 'malformed');
    const huge = signedRequest();
    huge.headers['x-pylon-observer-signature'] = 'a'.repeat(1_000_000);
    assert.equal(reasonOf(verifyPylonObserver(secret, huge, now)), 'malformed');
    assert.equal(reasonOf(verifyPylonObserver('', signedRequest(body, String(ts), ''), now)), 'mismatch');
  });

  test('sign refuses an empty secret or a timestamp that is not whole seconds', () => {
    assert.throws(() => signPylonObserver('', body, ts), TypeError);
    assert.throws(() => signPylonObserver(secret, body, Date.now() + 0.5), RangeError);
  });
});
