import { randomBytes } from 'node:crypto';

export const STANDARD_WEBHOOKS_SECRET_PREFIX = 'whsec_';

/** The Standard Webhooks spec asks for a key of 24 to 64 bytes; we refuse fewer than 16 as too weak. */
const STANDARD_WEBHOOKS_MIN_KEY_BYTES = 16;
// Standard base64, padding optional; Buffer.from would otherwise silently skip invalid characters.
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * How secrets of one kind are made and checked: a generated one when the caller gives none, and
 * why a caller's own does not fit (null when it does).
 */
export interface SecretFormat {
  generate(): string;
  problem(secret: string): string | null;
}

/** A random secret for every scheme but standard-webhooks: 32 bytes, base64url (URL and header safe). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** A Standard Webhooks secret: `whsec_` + base64 of a 32-byte key (the spec asks for 24 to 64 bytes). */
export function generateStandardWebhooksSecret(): string {
  return STANDARD_WEBHOOKS_SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** The HMAC key: the base64-decoded bytes after `whsec_` (a bare base64 secret is accepted too). */
export function decodeStandardWebhooksSecret(secret: string): Buffer | null {
  if (typeof secret !== 'string') return null;
  const encoded = secret.startsWith(STANDARD_WEBHOOKS_SECRET_PREFIX)
    ? secret.slice(STANDARD_WEBHOOKS_SECRET_PREFIX.length)
    : secret;
  if (!BASE64.test(encoded)) return null;
  const key = Buffer.from(encoded, 'base64');
  return key.length > 0 ? key : null;
}

/**
 * Why a secret someone chose is not a Standard Webhooks secret, or null. Stricter than what
 * verifying accepts: a new secret must carry the `whsec_` prefix and a key worth the name.
 */
export function standardWebhooksSecretProblem(secret: string): string | null {
  const key = secret.startsWith(STANDARD_WEBHOOKS_SECRET_PREFIX)
    ? decodeStandardWebhooksSecret(secret)
    : null;
  return key && key.length >= STANDARD_WEBHOOKS_MIN_KEY_BYTES
    ? null
    : `secret must be ${STANDARD_WEBHOOKS_SECRET_PREFIX} followed by at least ${STANDARD_WEBHOOKS_MIN_KEY_BYTES} bytes in base64`;
}

/** Any non-empty text the caller chose; 32 random bytes when it chose none. */
export const RANDOM_SECRET: SecretFormat = { generate: generateSecret, problem: () => null };

/** `whsec_` + base64 key: sources of the standard-webhooks provider and every outbound subscription. */
export const STANDARD_WEBHOOKS_SECRET: SecretFormat = {
  generate: generateStandardWebhooksSecret,
  problem: standardWebhooksSecretProblem,
};
