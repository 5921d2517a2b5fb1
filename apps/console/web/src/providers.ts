/**
 * What each provider needs to send its webhooks to a source: which setting of the provider's own
 * UI takes the ingest URL and the secret, how the requests are verified, and the source settings
 * it takes. Written from docs/providers.md and the README's "Receiving provider webhooks"; the page
 * never fetches documents at run time. Keep the ids in step with PROVIDERS in @hub/contracts.
 */
export type ProviderId =
  'pylon-observer' | 'observer' | 'opensolar' | 'casesolved' | 'solarproof' | 'standard-webhooks';

/** A source setting the provider takes (besides `over_share`, which every source takes). */
export interface ProviderSetting {
  name: string;
  label: string;
  default: string;
  hint: string;
  /** A closed list of values, shown as a select. */
  options?: readonly string[];
}

export interface ProviderGuide {
  id: ProviderId;
  label: string;
  /** What the source makes of the provider's webhooks. */
  makes: string;
  /** Steps in the provider's own UI, in order. */
  steps: readonly string[];
  /** How ingest checks each request. */
  verification: string;
  /** What kind of secret it takes, when the user wants to choose one. */
  secretHint: string;
  /** The provider retries failed deliveries, so `retry-later` is safe for it. */
  retries: boolean;
  settings: readonly ProviderSetting[];
}

export const PROVIDER_GUIDES: readonly ProviderGuide[] = [
  {
    id: 'pylon-observer',
    label: 'Pylon Observer',
    makes: 'project.upserted, one event per project of each batch',
    steps: [
      "In Pylon Observer, open your team's webhook settings.",
      'Paste the ingest URL as the Webhook URL.',
      'Paste the secret as the Webhook secret.',
    ],
    verification:
      'X-Pylon-Observer-Signature is the hex HMAC-SHA256 of the raw body followed by X-Pylon-Observer-Timestamp; the timestamp must be within 60 s.',
    secretHint: 'any string of 8 characters or more',
    retries: false,
    settings: [],
  },
  {
    id: 'observer',
    label: 'Observer',
    makes: 'monitoring.<type> events (metric, page, SLO and agent status)',
    steps: [
      'In Observer, add a webhook endpoint.',
      'Paste the ingest URL as the endpoint.',
      'Paste the secret as the signing secret.',
    ],
    verification:
      'X-Observer-Signature: sha256=<hex HMAC-SHA256 of the raw body>; no replay window, deliveries are deduplicated on the event id.',
    secretHint: 'any string of 8 characters or more',
    retries: true,
    settings: [],
  },
  {
    id: 'opensolar',
    label: 'OpenSolar',
    makes: 'project.upserted, customer.upserted and activity.event_recorded',
    steps: [
      'In OpenSolar, create a webhook.',
      'Paste the ingest URL as its endpoint.',
      'Under headers, set {"Authorization": "<the secret>"}: the header named by the header name setting, whose value is the secret exactly.',
    ],
    verification: 'The header named by the header name setting must equal the secret.',
    secretHint: 'the whole header value, e.g. Token abc…',
    retries: false,
    settings: [
      {
        name: 'header_name',
        label: 'Header name',
        default: 'Authorization',
        hint: 'the HTTP header OpenSolar sends the secret in',
      },
    ],
  },
  {
    id: 'casesolved',
    label: 'CaseSolved',
    makes: 'activity.site_plan_changed and other activity on projects',
    steps: [
      'In CaseSolved, add a webhook.',
      'Paste the ingest URL as the endpoint.',
      'Paste the secret as the Secret (sent in X-Webhook-Secret).',
      'Press Validate Webhook: the source answers OK and shows as validated.',
    ],
    verification: 'X-Webhook-Secret must equal the secret.',
    secretHint: 'any string of 8 characters or more',
    retries: false,
    settings: [],
  },
  {
    id: 'solarproof',
    label: 'Solar Proof',
    makes: 'customer.upserted, and e-mail, SMS, proposal and draft activity on projects',
    steps: [
      'In Solar Proof, add a webhook.',
      'Paste the ingest URL as the hookUrl: it carries the secret as ?token=…, so keep it private.',
    ],
    verification: 'The ?token= of the URL must equal the secret.',
    secretHint: 'a URL token, any string of 8 characters or more',
    retries: true,
    settings: [],
  },
  {
    id: 'standard-webhooks',
    label: 'Standard Webhooks',
    makes: 'the event type each body names, on the topic you choose',
    steps: [
      "In the sender's webhook settings, paste the ingest URL as the endpoint.",
      'Paste the whsec_… secret as the signing secret.',
      'Set below where the event type and entity id are in the body, and which topic they go to.',
    ],
    verification:
      'webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">, any of several; the timestamp must be within 5 min.',
    secretHint: 'whsec_ followed by base64',
    retries: true,
    settings: [
      {
        name: 'event_type_path',
        label: 'Event type path',
        default: 'type',
        hint: 'the dotted path of the event type in the body',
      },
      {
        name: 'entity_id_path',
        label: 'Entity id path',
        default: 'data.id',
        hint: 'the dotted path of the entity id in the body',
      },
      {
        name: 'topic',
        label: 'Topic',
        default: 'monitoring',
        hint: 'where its events go',
        options: ['projects', 'customers', 'monitoring'],
      },
    ],
  },
];

export const OVER_SHARE_OPTIONS = ['slow-lane', 'retry-later'] as const;

export function guideOf(provider: string): ProviderGuide | undefined {
  return PROVIDER_GUIDES.find((guide) => guide.id === provider);
}

export function providerLabel(provider: string): string {
  return guideOf(provider)?.label ?? provider;
}
