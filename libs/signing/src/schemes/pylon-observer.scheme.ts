import { createHmac } from 'node:crypto';
import { constantTimeEquals } from '../constant-time.js';
import { readRawBody, readSingleHeader } from '../request-parts.js';
import { assertSecret, unconfiguredSecretFailure } from '../secret-checks.js';
import { assertUnixSeconds, checkTimestamp } from '../timestamp.js';
import { VERIFIED, verifyFailure, type InboundRequest, type VerifyResult } from '../verify-result.js';

export const PYLON_OBSERVER_SIGNATURE_HEADER = 'X-Pylon-Observer-Signature';
export const PYLON_OBSERVER_TIMESTAMP_HEADER = 'X-Pylon-Observer-Timestamp';
export const PYLON_OBSERVER_TOLERANCE_SECONDS = 60;

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/** HMAC-SHA256 keyed by the secret's UTF-8 bytes over the raw body followed by the timestamp string. */
function pylonObserverDigest(secret: string, body: Buffer | string, timestamp: string): Buffer {
  return createHmac('sha256', secret).update(body).update(timestamp).digest();
}

/** The headers a Pylon Observer sender puts on a request. */
export function signPylonObserver(
  secret: string,
  body: Buffer | string,
  timestampSeconds: number,
): Record<string, string> {
  assertSecret(secret);
  assertUnixSeconds(timestampSeconds);
  const timestamp = String(timestampSeconds);
  return {
    [PYLON_OBSERVER_TIMESTAMP_HEADER]: timestamp,
    [PYLON_OBSERVER_SIGNATURE_HEADER]: pylonObserverDigest(secret, body, timestamp).toString('hex'),
  };
}

/** Checks a Pylon Observer request: timestamp within 60 s of now, then the signature. */
export function verifyPylonObserver(
  secret: string,
  request: InboundRequest,
  nowMs: number = Date.now(),
): VerifyResult {
  const unconfigured = unconfiguredSecretFailure(secret);
  if (unconfigured) return unconfigured;
  const body = readRawBody(request);
  if (!body.ok) return body;
  const signature = readSingleHeader(request, PYLON_OBSERVER_SIGNATURE_HEADER);
  if (!signature.ok) return signature;
  const timestamp = readSingleHeader(request, PYLON_OBSERVER_TIMESTAMP_HEADER);
  if (!timestamp.ok) return timestamp;
  const fresh = checkTimestamp(
    PYLON_OBSERVER_TIMESTAMP_HEADER,
    timestamp.value,
    PYLON_OBSERVER_TOLERANCE_SECONDS,
    nowMs,
  );
  if (!fresh.ok) return fresh;
  if (!HEX_SHA256.test(signature.value)) {
    return verifyFailure('malformed', `header ${PYLON_OBSERVER_SIGNATURE_HEADER} must be 64 hex characters`);
  }
  // Compared as bytes, so a sender writing uppercase hex is still accepted.
  const received = Buffer.from(signature.value, 'hex');
  const expected = pylonObserverDigest(secret, body.body, timestamp.value);
  if (!constantTimeEquals(received, expected)) {
    return verifyFailure('mismatch', `header ${PYLON_OBSERVER_SIGNATURE_HEADER} does not match the body`);
  }
  return VERIFIED;
}
