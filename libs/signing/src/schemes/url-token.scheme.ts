import { constantTimeEquals } from '../constant-time.js';
import { readSingleQueryParam } from '../request-parts.js';
import { assertSecret, unconfiguredSecretFailure } from '../secret-checks.js';
import { VERIFIED, verifyFailure, type InboundRequest, type VerifyResult } from '../verify-result.js';

export const URL_TOKEN_PARAM = 'token';

/**
 * The query parameters to append to the webhook URL (Solar Proof). The secret ends up in access
 * logs along the way, which is why this is the weakest scheme; use it only where a provider needs it.
 */
export function signUrlToken(secret: string): Record<string, string> {
  assertSecret(secret);
  return { [URL_TOKEN_PARAM]: secret };
}

/** `url` with `?token=<secret>` added (replacing any token already there), properly encoded. */
export function appendUrlToken(url: string, secret: string): string {
  const target = new URL(url);
  for (const [name, value] of Object.entries(signUrlToken(secret))) target.searchParams.set(name, value);
  return target.toString();
}

export function verifyUrlToken(secret: string, request: InboundRequest): VerifyResult {
  const unconfigured = unconfiguredSecretFailure(secret);
  if (unconfigured) return unconfigured;
  const received = readSingleQueryParam(request, URL_TOKEN_PARAM);
  if (!received.ok) return received;
  if (!constantTimeEquals(received.value, secret)) {
    return verifyFailure(
      'mismatch',
      `query parameter ${URL_TOKEN_PARAM} does not hold the configured secret`,
    );
  }
  return VERIFIED;
}
