import { constantTimeEquals } from '../constant-time.js';
import { readSingleHeader } from '../request-parts.js';
import { assertSecret, unconfiguredSecretFailure } from '../secret-checks.js';
import { VERIFIED, verifyFailure, type InboundRequest, type VerifyResult } from '../verify-result.js';

export const SHARED_SECRET_HEADER = 'X-Webhook-Secret';

/** The secret itself travels in `X-Webhook-Secret` (CaseSolved); only TLS protects it. */
export function signSharedSecretHeader(secret: string): Record<string, string> {
  assertSecret(secret);
  return { [SHARED_SECRET_HEADER]: secret };
}

export function verifySharedSecretHeader(secret: string, request: InboundRequest): VerifyResult {
  const unconfigured = unconfiguredSecretFailure(secret);
  if (unconfigured) return unconfigured;
  const received = readSingleHeader(request, SHARED_SECRET_HEADER);
  if (!received.ok) return received;
  if (!constantTimeEquals(received.value, secret)) {
    return verifyFailure('mismatch', `header ${SHARED_SECRET_HEADER} does not hold the configured secret`);
  }
  return VERIFIED;
}
