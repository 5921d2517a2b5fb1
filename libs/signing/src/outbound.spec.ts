import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { generateOutboundSecret, signOutbound } from './outbound.js';
import { verifyStandardWebhooks } from './schemes/standard-webhooks.scheme.js';

const message = { id: 'dlv_0123', timestampSeconds: 1_795_000_000, body: '{"type":"project.updated"}' };
const nowMs = message.timestampSeconds * 1_000;
const request = (headers: Record<string, string>) => ({ headers, body: Buffer.from(message.body) });

describe('outbound signing', () => {
  test('one standard-webhooks signature with one secret, verifiable by our verifier', () => {
    const secret = generateOutboundSecret();
    const headers = signOutbound('standard-webhooks', [secret], message);
    assert.equal(headers['webhook-id'], 'dlv_0123');
    assert.equal(headers['webhook-signature']!.split(' ').length, 1);
    assert.equal(verifyStandardWebhooks(secret, request(headers), nowMs).ok, true);
  });

  test('during a rotation each secret verifies, the current one first', () => {
    const [current, previous] = [generateOutboundSecret(), generateOutboundSecret()];
    const headers = signOutbound('standard-webhooks', [current, previous], message);
    assert.equal(headers['webhook-signature']!.split(' ').length, 2);
    for (const secret of [current, previous]) {
      assert.equal(verifyStandardWebhooks(secret, request(headers), nowMs).ok, true);
    }
    const hex = signOutbound('hmac-sha256-hex', [current, previous], message)['X-Signature']!.split(' ');
    const expected = (secret: string) =>
      `sha256=${createHmac('sha256', secret).update(message.body).digest('hex')}`;
    assert.deepEqual(hex, [expected(current), expected(previous)]);
  });

  test('the shared secret header carries the old secret until the grace period ends', () => {
    assert.deepEqual(signOutbound('shared-secret-header', ['new-secret', 'old-secret'], message), {
      'X-Webhook-Secret': 'old-secret',
    });
    assert.deepEqual(signOutbound('shared-secret-header', ['new-secret'], message), {
      'X-Webhook-Secret': 'new-secret',
    });
  });
});
