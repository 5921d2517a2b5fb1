import { randomBytes } from 'node:crypto';

export const STANDARD_WEBHOOKS_SECRET_PREFIX = 'whsec_';

/** A random secret for every scheme but standard-webhooks: 32 bytes, base64url (URL and header safe). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** A Standard Webhooks secret: `whsec_` + base64 of a 32-byte key (the spec asks for 24 to 64 bytes). */
export function generateStandardWebhooksSecret(): string {
  return STANDARD_WEBHOOKS_SECRET_PREFIX + randomBytes(32).toString('base64');
}
