import { verifyFailure, type VerifyFailure } from './verify-result.js';

/**
 * Verifying against an empty secret must fail closed: HMAC accepts an empty key and an empty
 * expected value could match an empty header, so an unconfigured source would accept anything.
 */
export function unconfiguredSecretFailure(secret: unknown): VerifyFailure | null {
  if (typeof secret === 'string' && secret !== '') return null;
  return verifyFailure('mismatch', 'no secret is configured to verify against');
}

/** Signing with an empty secret is a bug in the caller, so it throws rather than sending unsigned. */
export function assertSecret(secret: unknown, label = 'secret'): asserts secret is string {
  if (typeof secret !== 'string' || secret === '') throw new TypeError(`${label} must be a non-empty string`);
}
