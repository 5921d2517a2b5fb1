/** Every provider ingest accepts webhooks from (see docs/providers.md). */
export const PROVIDERS = [
  'pylon-observer',
  'observer',
  'opensolar',
  'casesolved',
  'solarproof',
  'standard-webhooks',
] as const;

export type ProviderId = (typeof PROVIDERS)[number];

/** A source's id, as ingest makes them: the same rule wherever one is read. */
export const SOURCE_ID = /^src_[A-Za-z0-9_-]{1,64}$/;
