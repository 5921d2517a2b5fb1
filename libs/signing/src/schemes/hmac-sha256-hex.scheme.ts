import { createHmac } from 'node:crypto';
import { constantTimeEquals } from '../constant-time.js';
import { readRawBody, readSingleHeader } from '../request-parts.js';
import { assertSecret, unconfiguredSecretFailure } from '../secret-checks.js';
import { VERIFIED, verifyFailure, type InboundRequest, type VerifyResult } from '../verify-result.js';

/** The header the `observer` provider signs its webhooks in. */
export const OBSERVER_SIGNATURE_HEADER = 'X-Observer-Signature';
/** The header our dispatcher signs outbound webhooks in. */
export const OUTBOUND_SIGNATURE_HEADER = 'X-Signature';

const PREFIX = 'sha256=';
const PREFIXED_HEX_SHA256 = /^sha256=[0-9a-fA-F]{64}$/;

function bodyDigest(secret: string, body: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

/** `<headerName>: sha256=<lowercase hex HMAC-SHA256(secret, raw body)>`. */
export function signHmacSha256Hex(
  secret: string,
  body: Buffer | string,
  headerName: string = OUTBOUND_SIGNATURE_HEADER,
): Record<string, string> {
  assertSecret(secret);
  return { [headerName]: PREFIX + bodyDigest(secret, body).toString('hex') };
}

/** Checks `sha256=<hex>` in `headerName`; there is no timestamp, so this scheme cannot stop replays. */
export function verifyHmacSha256Hex(
  secret: string,
  request: InboundRequest,
  headerName: string,
): VerifyResult {
  const unconfigured = unconfiguredSecretFailure(secret);
  if (unconfigured) return unconfigured;
  const body = readRawBody(request);
  if (!body.ok) return body;
  const signature = readSingleHeader(request, headerName);
  if (!signature.ok) return signature;
  if (!PREFIXED_HEX_SHA256.test(signature.value)) {
    return verifyFailure('malformed', `header ${headerName} must be sha256= followed by 64 hex characters`);
  }
  // Compared as bytes, so a sender writing uppercase hex is still accepted.
  const received = Buffer.from(signature.value.slice(PREFIX.length), 'hex');
  if (!constantTimeEquals(received, bodyDigest(secret, body.body))) {
    return verifyFailure('mismatch', `header ${headerName} does not match the body`);
  }
  return VERIFIED;
}
