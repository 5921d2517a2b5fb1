/** What a receiver hands to a verifier: the request exactly as it arrived, before any parsing. */
export interface InboundRequest {
  /** Header names as Node gives them (lowercase); looked up case-insensitively anyway. */
  headers: Record<string, string | string[] | undefined>;
  /** The raw body bytes: every HMAC scheme signs these, never a re-serialised JSON. */
  body: Buffer;
  query?: Record<string, unknown>;
}

export type VerifyFailureReason = 'missing' | 'mismatch' | 'timestamp-outside-window' | 'malformed';

export interface VerifyFailure {
  ok: false;
  reason: VerifyFailureReason;
  /** Human readable; never contains the secret, the expected signature or the received value. */
  detail: string;
}

export type VerifyResult = { ok: true } | VerifyFailure;

export const VERIFIED: VerifyResult = Object.freeze({ ok: true });

export function verifyFailure(reason: VerifyFailureReason, detail: string): VerifyFailure {
  return { ok: false, reason, detail };
}
