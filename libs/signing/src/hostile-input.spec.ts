import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { verifyCustomHeader } from './schemes/custom-header.scheme.js';
import { OBSERVER_SIGNATURE_HEADER, verifyHmacSha256Hex } from './schemes/hmac-sha256-hex.scheme.js';
import { verifyPylonObserver } from './schemes/pylon-observer.scheme.js';
import { verifySharedSecretHeader } from './schemes/shared-secret-header.scheme.js';
import { verifyStandardWebhooks } from './schemes/standard-webhooks.scheme.js';
import { verifyUrlToken } from './schemes/url-token.scheme.js';
import type { InboundRequest, VerifyResult } from './verify-result.js';

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const verifiers: Record<string, (request: InboundRequest) => VerifyResult> = {
  'pylon-observer': (request) => verifyPylonObserver(secret, request),
  'hmac-sha256-hex': (request) => verifyHmacSha256Hex(secret, request, OBSERVER_SIGNATURE_HEADER),
  'shared-secret-header': (request) => verifySharedSecretHeader(secret, request),
  'custom-header': (request) => verifyCustomHeader({ headerName: 'Authorization', value: secret }, request),
  'url-token': (request) => verifyUrlToken(secret, request),
  'standard-webhooks': (request) => verifyStandardWebhooks(secret, request),
};

const everyHeader = (value: string | string[]) =>
  Object.fromEntries(
    [
      'x-pylon-observer-signature',
      'x-pylon-observer-timestamp',
      'x-observer-signature',
      'x-webhook-secret',
      'authorization',
      'webhook-id',
      'webhook-timestamp',
      'webhook-signature',
    ].map((name) => [name, value]),
  );

/** Requests no sender following any scheme would produce; cast where they break the declared types. */
const hostileRequests: Record<string, InboundRequest> = {
  'no headers, no query': { headers: {}, body: Buffer.alloc(0) },
  'every header duplicated': { headers: everyHeader(['a', 'b']), body: Buffer.from('{}') },
  'every header a megabyte': { headers: everyHeader('9'.repeat(1 << 20)), body: Buffer.from('{}') },
  'every header binary junk': {
    headers: everyHeader('\u0000\uffff\ud800,v1,==='),
    body: Buffer.from([0, 255]),
  },
  'every header empty': { headers: everyHeader(''), body: Buffer.from('{}'), query: { token: '' } },
  'query token nested': { headers: {}, body: Buffer.from('{}'), query: { token: { $ne: null } } },
  'body missing (raw body not kept)': {
    headers: everyHeader('1'),
    body: undefined as unknown as Buffer,
  },
  'body parsed into an object': {
    headers: everyHeader('1'),
    body: { parsed: true } as unknown as Buffer,
  },
  'header values that are not strings': {
    headers: everyHeader(42 as unknown as string),
    body: Buffer.from('{}'),
    query: { token: 42 },
  },
};

describe('every verifier, on hostile input', () => {
  for (const [scheme, verify] of Object.entries(verifiers)) {
    for (const [label, request] of Object.entries(hostileRequests)) {
      test(`${scheme}: ${label} → a failure, not a throw, and no secret in the detail`, () => {
        const result = verify(request);
        assert.equal(result.ok, false);
        if (!result.ok) {
          assert.ok(['missing', 'mismatch', 'timestamp-outside-window', 'malformed'].includes(result.reason));
          assert.doesNotMatch(result.detail, /MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/);
        }
      });
    }
  }
});
