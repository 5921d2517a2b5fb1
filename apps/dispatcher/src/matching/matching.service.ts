import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import {
  anyPathMatches,
  buildWebhookEvent,
  DEFAULT_TRIGGER_FIELDS,
  defaultPayloadFields,
  entityKey,
  pickFields,
  type DispatchableEvent,
} from '@hub/contracts';
import type { NewDelivery } from '../deliveries/delivery.repository.js';
import type { SubscriptionRow } from '../subscriptions/subscription.repository.js';

export type Matchable = Pick<
  SubscriptionRow,
  'id' | 'tenant_id' | 'event_types' | 'trigger_fields' | 'payload_fields'
>;

/**
 * Which subscriptions a change goes to, and with what body. A change matches when its type is one
 * of `event_types` (empty: all; `project.*` matches by prefix) and, for entity changes, at least
 * one changed path matches a trigger pattern. Events with no changed fields (activity, monitoring,
 * operational) match on their type alone.
 */
@Injectable()
export class MatchingService {
  match(events: DispatchableEvent[], subscriptions: Matchable[]): NewDelivery[] {
    const byTenant = new Map<string, Matchable[]>();
    for (const subscription of subscriptions) {
      const ofTenant = byTenant.get(subscription.tenant_id) ?? [];
      ofTenant.push(subscription);
      byTenant.set(subscription.tenant_id, ofTenant);
    }
    return events.flatMap((event) =>
      (byTenant.get(event.tenant) ?? [])
        .filter((subscription) => matches(subscription, event))
        .map((subscription) => deliveryFor(subscription, event)),
    );
  }

  /**
   * One subscription against each event, decided and built exactly as match() does for real
   * deliveries: the delivery it would make, or why it makes none. Stores and sends nothing.
   */
  preview(events: DispatchableEvent[], subscription: Matchable): MatchPreview[] {
    return events.map((event) => {
      const reason = whyNotMatched(subscription, event);
      return { event, reason, delivery: reason ? null : deliveryFor(subscription, event) };
    });
  }
}

export const NOT_MATCHED = {
  eventType: 'event type not subscribed',
  triggerFields: 'no trigger field changed',
} as const;
export type NotMatchedReason = (typeof NOT_MATCHED)[keyof typeof NOT_MATCHED];

export interface MatchPreview {
  event: DispatchableEvent;
  /** Null when it matches. */
  reason: NotMatchedReason | null;
  /** The delivery matching would insert, when it matches. */
  delivery: NewDelivery | null;
}

export function matches(subscription: Matchable, event: DispatchableEvent): boolean {
  return whyNotMatched(subscription, event) === null;
}

/** Why a change does not go to a subscription, or null when it does. */
export function whyNotMatched(subscription: Matchable, event: DispatchableEvent): NotMatchedReason | null {
  if (!typeMatches(subscription.event_types, event.type)) return NOT_MATCHED.eventType;
  const changed = changedFieldsOf(event);
  if (!changed) return null;
  return anyPathMatches(subscription.trigger_fields ?? DEFAULT_TRIGGER_FIELDS, changed)
    ? null
    : NOT_MATCHED.triggerFields;
}

function typeMatches(types: string[], type: string): boolean {
  if (types.length === 0) return true;
  return types.some(
    (wanted) => wanted === type || (wanted.endsWith('.*') && type.startsWith(wanted.slice(0, -1))),
  );
}

function changedFieldsOf(event: DispatchableEvent): string[] | null {
  const changed = event.data['changed_fields'];
  return Array.isArray(changed) && changed.every((path) => typeof path === 'string') ? changed : null;
}

/** The delivery id doubles as the webhook-id: derived, so a re-matched change gets the same one. */
export function deliveryId(subscriptionId: string, changeId: string): string {
  return `dlv_${createHash('sha256').update(`${subscriptionId}\u0000${changeId}`).digest('hex').slice(0, 32)}`;
}

function deliveryFor(subscription: Matchable, event: DispatchableEvent): NewDelivery {
  const id = deliveryId(subscription.id, event.id);
  const body = JSON.stringify(
    buildWebhookEvent({
      id,
      type: event.type,
      tenant: event.tenant,
      subject: event.subject,
      time: event.time,
      data: payloadOf(subscription, event),
    }),
  );
  return {
    tenantId: event.tenant,
    id,
    subscriptionId: subscription.id,
    changeId: event.id,
    eventType: event.type,
    entityKey: entityKey(event.tenant, event.subject),
    body,
    changeTime: event.time,
  };
}

/**
 * Entity changes carry only the payload fields of the new document (by default all of it, see
 * defaultPayloadFields); other events their own data.
 */
function payloadOf(subscription: Matchable, event: DispatchableEvent): Record<string, unknown> {
  const changed = changedFieldsOf(event);
  const entityType = event.data['entity_type'];
  const document = event.data['document'];
  if (!changed || typeof entityType !== 'string' || !isRecord(document)) return event.data;
  return {
    changed_fields: changed,
    version: event.data['version'],
    [entityType]: pickFields(
      document,
      entityType,
      subscription.payload_fields ?? defaultPayloadFields(entityType),
    ),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
