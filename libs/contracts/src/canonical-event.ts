import { hash } from 'node:crypto';
import type { ProviderId } from './providers.js';

/** The canonical topics an adapter can publish to (the raw topic is ingest's own). */
export type CanonicalTopic = 'projects' | 'customers' | 'monitoring';

/** CloudEvents 1.0, structured JSON mode, with the tenant and provider as extension attributes. */
export interface CanonicalEvent<T extends object = Record<string, unknown>> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  tenant: string;
  provider: ProviderId;
  data: T;
}

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';

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

/**
 * Event ids are derived, never random: the same delivery retried by a provider yields the same
 * ids, so every consumer can deduplicate. `parts` name the source, the delivery and the event's
 * place in it.
 */
export function deterministicEventId(parts: string[]): string {
  // One-shot hash: a third of createHash()'s cost for inputs this small, and it runs per event.
  return `evt_${hash('sha256', parts.join('\u0000'), 'hex').slice(0, 32)}`;
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
