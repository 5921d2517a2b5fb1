import { constantTimeEquals } from '../constant-time.js';
import { readSingleHeader } from '../request-parts.js';
import { assertSecret, unconfiguredSecretFailure } from '../secret-checks.js';
import { VERIFIED, verifyFailure, type InboundRequest, type VerifyResult } from '../verify-result.js';

/** A header name and value configured per source (OpenSolar), e.g. `Authorization: Bearer abc`. */
export interface CustomHeaderCredential {
  headerName: string;
  value: string;
}

// RFC 9110 token characters, so a bad configured name fails loudly instead of never matching.
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

export function signCustomHeader(credential: CustomHeaderCredential): Record<string, string> {
  if (!HEADER_NAME.test(credential.headerName)) throw new TypeError('headerName must be an HTTP header name');
  assertSecret(credential.value, 'value');
  return { [credential.headerName]: credential.value };
}

/** The configured header must hold exactly the configured value (name case-insensitive, value exact). */
export function verifyCustomHeader(
  credential: CustomHeaderCredential,
  request: InboundRequest,
): VerifyResult {
  const unconfigured = unconfiguredSecretFailure(credential.value);
  if (unconfigured) return unconfigured;
  const received = readSingleHeader(request, credential.headerName);
  if (!received.ok) return received;
  if (!constantTimeEquals(received.value, credential.value)) {
    return verifyFailure('mismatch', `header ${credential.headerName} does not hold the configured value`);
  }
  return VERIFIED;
}
