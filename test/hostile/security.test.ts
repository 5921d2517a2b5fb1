import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import {
  OBSERVER_SIGNATURE_HEADER,
  verifyCustomHeader,
  verifyHmacSha256Hex,
  verifyPylonObserver,
  verifySharedSecretHeader,
  verifyStandardWebhooks,
  verifyUrlToken,
  type InboundRequest,
  type VerifyResult,
} from '@hub/signing';
import { PROVIDER_CASES, type ProviderRequest } from '../support/provider-requests.js';
import { SIGNING_MISTAKES, type SigningContext } from './hostile-requests.js';

/**
 * Every secret comparison is constant-time, tested by behaviour rather than by the clock: timing
 * assertions flake on a shared two-core machine, and a mean over many runs would need a tolerance
 * so generous it proves little. Instead each verifier runs under a spy on crypto.timingSafeEqual
 * (the named import in libs/signing/src/constant-time.ts follows the spy through
 * syncBuiltinESMExports) and the test checks the path a request takes:
 *
 * - a signature or secret differing in its first byte and one differing in its last byte are both
 *   rejected, each by exactly the same comparison: one timingSafeEqual call per candidate, on two
 *   32-byte keyed digests, so where the difference lies cannot change the work done;
 * - a secret of another length goes through that same comparison (the length of a shared secret is
 *   itself secret), rather than failing early on a length check;
 * - an HMAC signature of the wrong length may be refused before comparing: its length (64 hex
 *   characters, 44 base64) is public, so the early refusal reveals nothing.
 */

const VERIFIERS: Record<string, (secret: string, request: InboundRequest) => VerifyResult> = {
  'pylon-observer': (secret, request) => verifyPylonObserver(secret, request),
  observer: (secret, request) => verifyHmacSha256Hex(secret, request, OBSERVER_SIGNATURE_HEADER),
  opensolar: (secret, request) => verifyCustomHeader({ headerName: 'Authorization', value: secret }, request),
  casesolved: (secret, request) => verifySharedSecretHeader(secret, request),
  solarproof: (secret, request) => verifyUrlToken(secret, request),
  'standard-webhooks': (secret, request) => verifyStandardWebhooks(secret, request),
};
/** Schemes that send the secret itself: its length must not be revealed either. */
const SECRET_SCHEMES = ['opensolar', 'casesolved', 'solarproof'];

function inbound(request: ProviderRequest): InboundRequest {
  return {
    headers: Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]),
    ),
    body: Buffer.from(request.body),
    query: request.query ?? {},
  };
}

describe('constant-time comparison of every secret, by the path each verifier takes', () => {
  let spy: ReturnType<typeof mock.method<typeof crypto, 'timingSafeEqual'>>;
  beforeEach(() => {
    spy = mock.method(crypto, 'timingSafeEqual');
    syncBuiltinESMExports();
  });
  afterEach(() => {
    mock.restoreAll();
    syncBuiltinESMExports();
  });

  /** The calls since the last check, as the byte lengths compared. */
  const comparisons = () => {
    const lengths = spy.mock.calls.map((call) => call.arguments.map((buffer) => (buffer as Buffer).length));
    spy.mock.resetCalls();
    return lengths;
  };

  for (const providerCase of PROVIDER_CASES) {
    const verify = VERIFIERS[providerCase.provider]!;
    const context: SigningContext = {
      providerCase,
      secret: providerCase.secret,
      otherSourceSecret: providerCase.secret,
    };
    const valid = providerCase.request(providerCase.secret);
    const mistaken = (mistake: string) => inbound(SIGNING_MISTAKES[mistake]!(valid, context, valid.body));

    test(`${providerCase.provider}: the valid request passes through one comparison of two 32-byte digests`, () => {
      assert.deepEqual(verify(providerCase.secret, inbound(valid)), { ok: true });
      assert.deepEqual(comparisons(), [[32, 32]]);
    });

    test(`${providerCase.provider}: a difference in the first byte and one in the last byte are refused by the same comparison`, () => {
      for (const mistake of ['flip-first', 'flip-last']) {
        const result = verify(providerCase.secret, mistaken(mistake));
        assert.equal(result.ok, false, mistake);
        assert.equal(!result.ok && result.reason, 'mismatch', mistake);
        assert.deepEqual(comparisons(), [[32, 32]], `${mistake}: one comparison of keyed digests`);
      }
    });

    if (SECRET_SCHEMES.includes(providerCase.provider)) {
      test(`${providerCase.provider}: a shorter or longer secret goes through that same comparison, not a length check`, () => {
        const shorter = verify(providerCase.secret, mistaken('truncated'));
        assert.equal(!shorter.ok && shorter.reason, 'mismatch');
        assert.deepEqual(comparisons(), [[32, 32]]);
        const longer = verify(`${providerCase.secret}-and-more`, inbound(valid));
        assert.equal(!longer.ok && longer.reason, 'mismatch');
        assert.deepEqual(comparisons(), [[32, 32]]);
      });
    }
  }

  test('a Standard Webhooks header with several signatures compares every one of them, whichever matches', () => {
    const providerCase = PROVIDER_CASES.find((c) => c.provider === 'standard-webhooks')!;
    const valid = inbound(providerCase.request(providerCase.secret));
    const signature = String(valid.headers['webhook-signature']);
    const wrong = `v1,${Buffer.alloc(32).toString('base64')}`;
    for (const header of [`${signature} ${wrong} ${wrong}`, `${wrong} ${wrong} ${signature}`]) {
      const request = { ...valid, headers: { ...valid.headers, 'webhook-signature': header } };
      assert.deepEqual(verifyStandardWebhooks(providerCase.secret, request), { ok: true });
      assert.deepEqual(comparisons(), [
        [32, 32],
        [32, 32],
        [32, 32],
      ]);
    }
  });
});
