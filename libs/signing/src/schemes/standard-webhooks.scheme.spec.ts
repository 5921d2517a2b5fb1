import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { inboundRequest, msAt } from '../inbound-request.testing.js';
import { generateStandardWebhooksSecret } from '../secrets.js';
import { signStandardWebhooks, verifyStandardWebhooks } from './standard-webhooks.scheme.js';

// The example from the Standard Webhooks specification and its reference libraries.
const specSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const specMsgId = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const specTimestamp = 1614265330;
const specBody = Buffer.from('{"test": 2432232314}');
const specSignature = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
const now = msAt(specTimestamp);

/** Written out independently of the code under test: key = base64-decoded secret after whsec_. */
function expectedSignature(secret: string, msgId: string, timestamp: string, body: Buffer): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signed = Buffer.concat([Buffer.from(`${msgId}.${timestamp}.`), body]);
  return 'v1,' + createHmac('sha256', key).update(signed).digest('base64');
}

function specRequest(overrides: Record<string, string | string[] | undefined> = {}, body: Buffer = specBody) {
  return inboundRequest(
    {
      'webhook-id': specMsgId,
      'webhook-timestamp': String(specTimestamp),
      'webhook-signature': specSignature,
      ...overrides,
    },
    body,
  );
}

/** A correctly signed request whose timestamp is `offsetSeconds` away from `now`. */
function requestAtOffset(offsetSeconds: number) {
  const timestamp = String(specTimestamp + offsetSeconds);
  return specRequest({
    'webhook-timestamp': timestamp,
    'webhook-signature': expectedSignature(specSecret, specMsgId, timestamp, specBody),
  });
}

function reasonOf(result: ReturnType<typeof verifyStandardWebhooks>): string {
  return result.ok ? 'ok' : result.reason;
}

describe('standard-webhooks', () => {
  test('the spec example: independent node:crypto computation agrees with the published signature', () => {
    assert.equal(expectedSignature(specSecret, specMsgId, String(specTimestamp), specBody), specSignature);
  });

  test('sign reproduces the spec example', () => {
    assert.deepEqual(signStandardWebhooks(specSecret, specMsgId, specTimestamp, specBody), {
      'webhook-id': specMsgId,
      'webhook-timestamp': '1614265330',
      'webhook-signature': specSignature,
    });
  });

  test('verify accepts the spec example', () => {
    assert.deepEqual(verifyStandardWebhooks(specSecret, specRequest(), now), { ok: true });
  });

  test('round trip with a freshly generated secret', () => {
    const secret = generateStandardWebhooksSecret();
    const body = Buffer.from(JSON.stringify({ type: 'invoice.paid', data: { id: 'inv_1' } }));
    const headers = signStandardWebhooks(secret, 'msg_1', specTimestamp, body);
    assert.equal(
      headers['webhook-signature'],
      expectedSignature(secret, 'msg_1', String(specTimestamp), body),
    );
    assert.deepEqual(verifyStandardWebhooks(secret, inboundRequest(headers, body), now), { ok: true });
  });

  test('a secret without the whsec_ prefix is the same key', () => {
    const bare = specSecret.slice('whsec_'.length);
    assert.deepEqual(verifyStandardWebhooks(bare, specRequest(), now), { ok: true });
    assert.equal(
      signStandardWebhooks(bare, specMsgId, specTimestamp, specBody)['webhook-signature'],
      specSignature,
    );
  });

  test('the key is the decoded bytes, not the secret string', () => {
    const keyedByString = createHmac('sha256', specSecret)
      .update(`${specMsgId}.${specTimestamp}.${specBody.toString()}`)
      .digest('base64');
    assert.equal(
      reasonOf(
        verifyStandardWebhooks(specSecret, specRequest({ 'webhook-signature': `v1,${keyedByString}` }), now),
      ),
      'mismatch',
    );
  });

  test('wrong secret, tampered body, id or timestamp is a mismatch', () => {
    const otherSecret = 'whsec_' + Buffer.alloc(24, 7).toString('base64');
    assert.equal(reasonOf(verifyStandardWebhooks(otherSecret, specRequest(), now)), 'mismatch');
    assert.equal(
      reasonOf(verifyStandardWebhooks(specSecret, specRequest({}, Buffer.from('{"test": 2432232315}')), now)),
      'mismatch',
    );
    assert.equal(
      reasonOf(verifyStandardWebhooks(specSecret, specRequest({ 'webhook-id': 'msg_other' }), now)),
      'mismatch',
    );
    assert.equal(
      reasonOf(
        verifyStandardWebhooks(
          specSecret,
          specRequest({ 'webhook-timestamp': String(specTimestamp + 1) }),
          now,
        ),
      ),
      'mismatch',
    );
  });

  test('each missing header is missing', () => {
    for (const header of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const result = verifyStandardWebhooks(specSecret, specRequest({ [header]: undefined }), now);
      assert.equal(reasonOf(result), 'missing', header);
      assert.match(!result.ok ? result.detail : '', new RegExp(header));
    }
  });

  test('301 s away either way is outside the window; 299 s and 300 s are inside', () => {
    assert.equal(
      reasonOf(verifyStandardWebhooks(specSecret, requestAtOffset(-301), now)),
      'timestamp-outside-window',
    );
    assert.equal(
      reasonOf(verifyStandardWebhooks(specSecret, requestAtOffset(301), now)),
      'timestamp-outside-window',
    );
    assert.equal(reasonOf(verifyStandardWebhooks(specSecret, requestAtOffset(-299), now)), 'ok');
    assert.equal(reasonOf(verifyStandardWebhooks(specSecret, requestAtOffset(299), now)), 'ok');
    assert.equal(reasonOf(verifyStandardWebhooks(specSecret, requestAtOffset(-300), now)), 'ok');
  });

  test('several signatures (key rotation): passes when any v1 entry matches', () => {
    const stale = 'v1,' + Buffer.alloc(32, 1).toString('base64');
    for (const header of [
      `${stale} ${specSignature}`,
      `${specSignature} ${stale}`,
      `  ${stale}   ${specSignature}  `,
    ]) {
      assert.deepEqual(
        verifyStandardWebhooks(specSecret, specRequest({ 'webhook-signature': header }), now),
        { ok: true },
      );
    }
    assert.equal(
      reasonOf(
        verifyStandardWebhooks(specSecret, specRequest({ 'webhook-signature': `${stale} ${stale}` }), now),
      ),
      'mismatch',
    );
  });

  test('entries of other versions are ignored, even when they carry the right value', () => {
    const value = specSignature.slice('v1,'.length);
    const withV1a = `v1a,${Buffer.alloc(64).toString('base64')} ${specSignature}`;
    assert.deepEqual(verifyStandardWebhooks(specSecret, specRequest({ 'webhook-signature': withV1a }), now), {
      ok: true,
    });
    for (const header of [`v2,${value}`, `V1,${value}`, value, `v1a,${value}`]) {
      const result = verifyStandardWebhooks(specSecret, specRequest({ 'webhook-signature': header }), now);
      assert.equal(reasonOf(result), 'malformed', header);
    }
  });

  test('a timestamp that is not integer seconds is malformed', () => {
    for (const timestamp of ['1614265330.0', '1614265330000x', '-1', 'yesterday']) {
      assert.equal(
        reasonOf(verifyStandardWebhooks(specSecret, specRequest({ 'webhook-timestamp': timestamp }), now)),
        'malformed',
      );
    }
  });

  test('garbage does not throw: bad secrets, bad base64, duplicates, huge headers', () => {
    for (const secret of ['', 'whsec_', 'whsec_!!!not base64!!!', 'whsec_====', 'not-base64 at all']) {
      assert.equal(reasonOf(verifyStandardWebhooks(secret, specRequest(), now)), 'mismatch', secret);
    }
    const garbageSignatures = [
      'v1,',
      'v1,!!!!',
      ',,,,',
      'v1,' + 'A'.repeat(5000),
      '\u0000\u00ff',
      'v1,%%% v1,@@@',
    ];
    for (const header of garbageSignatures) {
      const result = verifyStandardWebhooks(specSecret, specRequest({ 'webhook-signature': header }), now);
      assert.equal(result.ok, false, header);
    }
    const duplicated = specRequest({ 'webhook-signature': [specSignature, specSignature] });
    assert.equal(reasonOf(verifyStandardWebhooks(specSecret, duplicated, now)), 'malformed');
    const huge = specRequest({ 'webhook-signature': `${'v1,AAAA '.repeat(200_000)}${specSignature}` });
    assert.equal(reasonOf(verifyStandardWebhooks(specSecret, huge, now)), 'malformed');
  });

  test('sign refuses a secret that is not base64, an empty id, or fractional seconds', () => {
    assert.throws(() => signStandardWebhooks('whsec_!!', specMsgId, specTimestamp, specBody), TypeError);
    assert.throws(() => signStandardWebhooks(specSecret, '', specTimestamp, specBody), TypeError);
    assert.throws(() => signStandardWebhooks(specSecret, specMsgId, 1.5, specBody), RangeError);
  });
});
