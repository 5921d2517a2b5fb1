import { createHmac } from 'node:crypto';
import { constantTimeEquals } from '../constant-time.js';
import { readRawBody, readSingleHeader } from '../request-parts.js';
import { decodeStandardWebhooksSecret } from '../secrets.js';
import { assertUnixSeconds, checkTimestamp } from '../timestamp.js';
import { VERIFIED, verifyFailure, type InboundRequest, type VerifyResult } from '../verify-result.js';

export const STANDARD_WEBHOOKS_ID_HEADER = 'webhook-id';
export const STANDARD_WEBHOOKS_TIMESTAMP_HEADER = 'webhook-timestamp';
export const STANDARD_WEBHOOKS_SIGNATURE_HEADER = 'webhook-signature';
export const STANDARD_WEBHOOKS_TOLERANCE_SECONDS = 5 * 60;

const SIGNATURE_VERSION = 'v1';

/** base64 HMAC-SHA256 over `<id>.<timestamp>.<body>`, the body as raw bytes. */
function signatureOf(key: Buffer, msgId: string, timestamp: string, body: Buffer | string): string {
  return createHmac('sha256', key).update(`${msgId}.${timestamp}.`).update(body).digest('base64');
}

/** The three headers of a Standard Webhooks (v1) request; arguments in the order they are signed. */
export function signStandardWebhooks(
  secret: string,
  msgId: string,
  timestampSeconds: number,
  body: Buffer | string,
): Record<string, string> {
  const key = decodeStandardWebhooksSecret(secret);
  if (!key) throw new TypeError('secret must be whsec_ followed by base64');
  if (typeof msgId !== 'string' || msgId === '') throw new TypeError('msgId must be a non-empty string');
  assertUnixSeconds(timestampSeconds);
  const timestamp = String(timestampSeconds);
  return {
    [STANDARD_WEBHOOKS_ID_HEADER]: msgId,
    [STANDARD_WEBHOOKS_TIMESTAMP_HEADER]: timestamp,
    [STANDARD_WEBHOOKS_SIGNATURE_HEADER]: `${SIGNATURE_VERSION},${signatureOf(key, msgId, timestamp, body)}`,
  };
}

/**
 * The `v1` signatures among the space-separated `<version>,<signature>` entries. Other versions
 * (e.g. asymmetric `v1a`) are ignored rather than rejected, as the spec lets senders add them.
 */
function v1SignaturesIn(header: string): string[] {
  const signatures: string[] = [];
  for (const entry of header.trim().split(/\s+/)) {
    const comma = entry.indexOf(',');
    if (comma > 0 && entry.slice(0, comma) === SIGNATURE_VERSION) signatures.push(entry.slice(comma + 1));
  }
  return signatures;
}

/** Checks a Standard Webhooks request: timestamp within 5 minutes, then any one v1 signature. */
export function verifyStandardWebhooks(
  secret: string,
  request: InboundRequest,
  nowMs: number = Date.now(),
): VerifyResult {
  const key = decodeStandardWebhooksSecret(secret);
  // Fails closed: a misconfigured secret must never let a request through.
  if (!key) return verifyFailure('mismatch', 'the configured secret is not whsec_ followed by base64');
  const body = readRawBody(request);
  if (!body.ok) return body;
  const msgId = readSingleHeader(request, STANDARD_WEBHOOKS_ID_HEADER);
  if (!msgId.ok) return msgId;
  const timestamp = readSingleHeader(request, STANDARD_WEBHOOKS_TIMESTAMP_HEADER);
  if (!timestamp.ok) return timestamp;
  const signatureHeader = readSingleHeader(request, STANDARD_WEBHOOKS_SIGNATURE_HEADER);
  if (!signatureHeader.ok) return signatureHeader;
  const fresh = checkTimestamp(
    STANDARD_WEBHOOKS_TIMESTAMP_HEADER,
    timestamp.value,
    STANDARD_WEBHOOKS_TOLERANCE_SECONDS,
    nowMs,
  );
  if (!fresh.ok) return fresh;
  const candidates = v1SignaturesIn(signatureHeader.value);
  if (candidates.length === 0) {
    return verifyFailure('malformed', `header ${STANDARD_WEBHOOKS_SIGNATURE_HEADER} holds no v1 signature`);
  }
  const expected = signatureOf(key, msgId.value, timestamp.value, body.body);
  // Every candidate is compared, so the time taken does not depend on which one matched.
  const matches = candidates.map((candidate) => constantTimeEquals(candidate, expected));
  if (!matches.includes(true)) {
    return verifyFailure(
      'mismatch',
      `no signature in ${STANDARD_WEBHOOKS_SIGNATURE_HEADER} matches the message`,
    );
  }
  return VERIFIED;
}
