import {
  CLOUDEVENTS_CONTENT_TYPE,
  DATA_CONTENT_TYPE,
  SPEC_VERSION,
  type CloudEventEnvelope,
} from '../cloudevents.js';
import { defineContract, type MessageContract, type Parsed } from '../contract.js';
import { PROVIDERS, type ProviderId } from '../providers.js';
import {
  ENTITY_SUBJECT,
  EVENT_ID,
  EVENT_TYPE,
  exactly,
  ISO_TIME,
  OBJECT,
  oneOf,
  TEXT,
  UUID,
} from '../rules.js';

/** The canonical topics an adapter can publish to (the raw topic is ingest's own). */
export type CanonicalTopic = 'projects' | 'customers' | 'monitoring';

/** CloudEvents 1.0, structured JSON mode, with the tenant and provider as extension attributes. */
export interface CanonicalEvent<T extends object = Record<string, unknown>> extends CloudEventEnvelope {
  datacontenttype: 'application/json';
  tenant: string;
  provider: ProviderId;
  data: T;
}

/** Activity types: what happened to a project or customer, beside its snapshot. */
export const ACTIVITY_TYPES = {
  emailSent: 'activity.email_sent',
  smsSent: 'activity.sms_sent',
  proposalLinkPublished: 'activity.proposal_link_published',
  draftSaved: 'activity.draft_saved',
  sitePlanChanged: 'activity.site_plan_changed',
  eventRecorded: 'activity.event_recorded',
} as const;

export const SNAPSHOT_TYPES = { project: 'project.upserted', customer: 'customer.upserted' } as const;

/** What a consumer checks a canonical event against before acting on it (datacontenttype is not read). */
export const CANONICAL_EVENT_RULES = {
  specversion: exactly(SPEC_VERSION),
  id: EVENT_ID,
  source: TEXT,
  type: EVENT_TYPE,
  subject: ENTITY_SUBJECT,
  time: ISO_TIME,
  tenant: UUID,
  provider: oneOf(PROVIDERS),
  data: OBJECT,
};

export const CanonicalEventContract: MessageContract<CanonicalEvent> = defineContract<CanonicalEvent>({
  name: 'CanonicalEvent',
  contentType: CLOUDEVENTS_CONTENT_TYPE,
  what: 'a canonical event',
  rules: CANONICAL_EVENT_RULES,
});

/** Why `body` is not a canonical event (its first broken rule); null when it is one. */
export function canonicalEventProblem(body: Record<string, unknown>): string | null {
  return CanonicalEventContract.problem(body);
}

export function parseCanonicalEvent(value: Buffer): Parsed<CanonicalEvent> {
  return CanonicalEventContract.parse(value);
}

export interface CanonicalEventFields<T extends object> {
  id: string;
  /** The source's id (`src_…`): the event's `source` is its path. */
  sourceId: string;
  type: string;
  subject: string;
  time: string;
  tenant: string;
  provider: ProviderId;
  data: T;
}

/** The one place a canonical event's envelope is assembled (its members in this order on the bus). */
export function buildCanonicalEvent<T extends object>(fields: CanonicalEventFields<T>): CanonicalEvent<T> {
  return {
    specversion: SPEC_VERSION,
    id: fields.id,
    source: `/sources/${fields.sourceId}`,
    type: fields.type,
    subject: fields.subject,
    time: fields.time,
    datacontenttype: DATA_CONTENT_TYPE,
    tenant: fields.tenant,
    provider: fields.provider,
    data: fields.data,
  };
}

/** Canonical entity id until identity linking exists: `provider:external id`. */
export function canonicalEntityId(provider: ProviderId, externalId: string): string {
  return `${provider}:${externalId}`;
}

/**
 * `value` as an ISO 8601 time that every store downstream holds, or null: JavaScript dates reach
 * years ±275760, written `+039223-…`, which ISO 8601's four-digit years and Postgres (no year 0)
 * refuse. Years 1 to 9999 only.
 */
export function storableTime(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  const time = Date.parse(value);
  if (Number.isNaN(time)) return null;
  const year = new Date(time).getUTCFullYear();
  return year >= 1 && year <= 9999 ? new Date(time).toISOString() : null;
}
