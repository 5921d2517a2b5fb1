import { DATA_CONTENT_TYPE, SPEC_VERSION, type CloudEventEnvelope } from '../cloudevents.js';
import { defineContract, type MessageContract } from '../contract.js';
import { EVENT_TYPE, exactly, ISO_TIME, matching, OBJECT, TEXT } from '../rules.js';

/**
 * What the dispatcher POSTs to a subscriber's endpoint (a matched change, `webhook.test`,
 * `webhook.validate`): a CloudEvent without the tenant extension, the tenant being in `source`.
 * Not a bus message: it goes over HTTP, signed, and is kept in the delivery log.
 */
export interface WebhookEvent extends CloudEventEnvelope {
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
}

/** What a subscriber can rely on. The id is the webhook-id header (dlv_… or msg_…). */
export const WEBHOOK_EVENT_RULES = {
  specversion: exactly(SPEC_VERSION),
  id: matching(/^(dlv|msg)_[A-Za-z0-9_-]{1,64}$/, 'must be a delivery id (dlv_…) or message id (msg_…)'),
  type: EVENT_TYPE,
  source: matching(/^\/tenants\/[^/]+$/, 'must be /tenants/<tenant>'),
  subject: TEXT,
  time: ISO_TIME,
  datacontenttype: exactly(DATA_CONTENT_TYPE),
  data: OBJECT,
};

export const WebhookEventContract: MessageContract<WebhookEvent> = defineContract<WebhookEvent>({
  name: 'WebhookEvent',
  contentType: 'application/json',
  what: 'a webhook event',
  rules: WEBHOOK_EVENT_RULES,
});

export interface WebhookEventFields {
  id: string;
  type: string;
  tenant: string;
  subject: string;
  time: string;
  data: Record<string, unknown>;
}

/** The one place a webhook body's envelope is assembled (members in this order in the body). */
export function buildWebhookEvent(fields: WebhookEventFields): WebhookEvent {
  return {
    specversion: SPEC_VERSION,
    id: fields.id,
    type: fields.type,
    source: `/tenants/${fields.tenant}`,
    subject: fields.subject,
    time: fields.time,
    datacontenttype: DATA_CONTENT_TYPE,
    data: fields.data,
  };
}
