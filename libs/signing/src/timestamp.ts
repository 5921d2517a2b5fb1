import { verifyFailure, type VerifyFailure } from './verify-result.js';

// Digits only: no sign, no fraction, no exponent, no whitespace. 12 digits reach the year 33658.
const UNIX_SECONDS = /^[0-9]{1,12}$/;

export type TimestampResult = { ok: true; seconds: number } | VerifyFailure;

/**
 * A signed Unix-seconds timestamp that lies within `toleranceSeconds` of now, either way: too old
 * means a possible replay, too new means a sender clock we should not trust either.
 */
export function checkTimestamp(
  headerName: string,
  value: string,
  toleranceSeconds: number,
  nowMs: number,
): TimestampResult {
  if (!UNIX_SECONDS.test(value)) {
    return verifyFailure('malformed', `header ${headerName} must be an integer number of Unix seconds`);
  }
  const seconds = Number(value);
  // Whole seconds on both sides, as the Standard Webhooks reference implementations do.
  const nowSeconds = Math.floor(nowMs / 1000);
  const ageSeconds = nowSeconds - seconds;
  if (Math.abs(ageSeconds) > toleranceSeconds) {
    const direction = ageSeconds > 0 ? 'in the past' : 'in the future';
    return verifyFailure(
      'timestamp-outside-window',
      `header ${headerName} is ${Math.abs(ageSeconds)} s ${direction}; at most ${toleranceSeconds} s is accepted`,
    );
  }
  return { ok: true, seconds };
}

/** Guards the signing side: a caller passing a bad timestamp is a bug, not hostile input. */
export function assertUnixSeconds(timestampSeconds: number): void {
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new RangeError('timestampSeconds must be a non-negative integer number of Unix seconds');
  }
}
