import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// A fresh key per process: digests under it are unpredictable to a caller, so comparing digests
// reveals neither the inputs nor their lengths, and no attacker can precompute collisions.
const COMPARISON_KEY = randomBytes(32);

function comparisonDigest(value: string | Buffer): Buffer {
  return createHmac('sha256', COMPARISON_KEY).update(value).digest();
}

/**
 * Constant-time equality of two secrets or signatures. timingSafeEqual alone throws on (and so leaks)
 * a length difference; comparing fixed-size keyed digests instead takes the same time for any lengths.
 * Strings compare by their UTF-8 bytes, so a string equals a Buffer holding the same bytes.
 */
export function constantTimeEquals(a: string | Buffer, b: string | Buffer): boolean {
  return timingSafeEqual(comparisonDigest(a), comparisonDigest(b));
}
