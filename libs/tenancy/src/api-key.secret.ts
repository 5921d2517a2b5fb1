import { createHash, randomBytes } from 'node:crypto';

export const KEY_PREFIX = 'hub_';
/** `hub_` and six characters: enough to tell a tenant's keys apart, far too few to guess the rest. */
const SHOWN_PREFIX_LENGTH = KEY_PREFIX.length + 6;

export interface GeneratedApiKey {
  apiKey: string;
  prefix: string;
  lastFour: string;
  keyHash: Buffer;
}

/** A new key: `hub_` + 32 random bytes (base64url), with what of it may be stored and shown. */
export function generateApiKey(): GeneratedApiKey {
  const apiKey = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return {
    apiKey,
    prefix: apiKey.slice(0, SHOWN_PREFIX_LENGTH),
    lastFour: apiKey.slice(-4),
    keyHash: hashApiKey(apiKey),
  };
}

/** Keys are random, so SHA-256 suffices to store them. */
export function hashApiKey(apiKey: string): Buffer {
  return createHash('sha256').update(apiKey, 'utf8').digest();
}
