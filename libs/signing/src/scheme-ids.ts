/** Every webhook authentication scheme, by the id sources and subscriptions store. */
export const SIGNING_SCHEMES = [
  'pylon-observer',
  'hmac-sha256-hex',
  'shared-secret-header',
  'custom-header',
  'url-token',
  'standard-webhooks',
] as const;

export type SigningSchemeId = (typeof SIGNING_SCHEMES)[number];
