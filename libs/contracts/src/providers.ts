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
