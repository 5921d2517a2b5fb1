import { CLOUDEVENTS_CONTENT_TYPE, deterministicEventId, SPEC_VERSION } from '../cloudevents.js';
import { defineContract, type MessageContract } from '../contract.js';
import { EVENT_ID, exactly, ISO_TIME, matching, OBJECT, oneOf, SUBSCRIPTION_ID, UUID } from '../rules.js';
import type { DispatchableEvent } from '../state-changes/state-change.js';

/** Events about the dispatcher's own work, which ops subscribe to like any other type. */
export const OPERATIONAL_TYPES = {
  deliveryExhausted: 'delivery.exhausted',
  subscriptionDisabled: 'subscription.disabled',
  subscriptionRecovered: 'subscription.recovered',
} as const;

export type OperationalType = (typeof OPERATIONAL_TYPES)[keyof typeof OPERATIONAL_TYPES];

export function isOperationalType(type: string): boolean {
  return Object.values<string>(OPERATIONAL_TYPES).includes(type);
}

/**
 * An operational event: on the state-changes topic (the dispatcher matches it like any change),
 * and for an exhausted delivery on the dead-letter topic too. No datacontenttype or provider: it
 * is the dispatcher's own, and its bytes have always been these.
 */
export interface OperationalEvent extends DispatchableEvent {
  type: OperationalType;
}

export const OPERATIONAL_EVENT_RULES = {
  specversion: exactly(SPEC_VERSION),
  id: EVENT_ID,
  type: oneOf(Object.values(OPERATIONAL_TYPES)),
  source: matching(/^\/tenants\/[^/]+\/dispatcher$/, 'must be /tenants/<tenant>/dispatcher'),
  subject: matching(SUBSCRIPTION_ID, 'must be a subscription id (sub_…)'),
  time: ISO_TIME,
  tenant: UUID,
  data: OBJECT,
};

export const OperationalEventContract: MessageContract<OperationalEvent> = defineContract<OperationalEvent>({
  name: 'OperationalEvent',
  contentType: CLOUDEVENTS_CONTENT_TYPE,
  what: 'an operational event',
  rules: OPERATIONAL_EVENT_RULES,
});

/**
 * The one place an operational event is assembled (members in this order on the bus). `parts`
 * make its id deterministic, so a retried publish is deduplicated.
 */
export function buildOperationalEvent(
  type: OperationalType,
  tenant: string,
  subject: string,
  data: Record<string, unknown>,
  parts: string[],
): OperationalEvent {
  return {
    specversion: SPEC_VERSION,
    id: deterministicEventId([tenant, type, subject, ...parts]),
    type,
    source: `/tenants/${tenant}/dispatcher`,
    subject,
    time: new Date().toISOString(),
    tenant,
    data,
  };
}
