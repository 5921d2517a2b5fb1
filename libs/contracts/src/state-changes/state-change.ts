import type { CanonicalEvent } from '../canonical/canonical-event.js';
import {
  CLOUDEVENTS_CONTENT_TYPE,
  DATA_CONTENT_TYPE,
  SPEC_VERSION,
  type CloudEventEnvelope,
} from '../cloudevents.js';
import { defineContract, type MessageContract, type Parsed } from '../contract.js';
import {
  ENTITY_SUBJECT,
  EVENT_ID,
  EVENT_TYPE,
  exactly,
  ISO_TIME,
  OBJECT,
  SUBSCRIPTION_ID,
  TEXT,
  UUID,
} from '../rules.js';

/** What the projector publishes when an entity really changed (topic state changes). */
export interface StateChangeData {
  entity_type: 'project' | 'customer' | 'monitor' | 'unified_customer' | 'unified_project';
  entity_id: string;
  version: number;
  changed_fields: string[];
  /** The whole new document. */
  document: Record<string, unknown>;
  /** Id of the canonical event that caused the change. */
  caused_by: string;
}

/**
 * `unified_customer.created|updated`, `unified_project.created|updated`: a unified record's merged
 * document changed (docs/adr/0017). Its members are the provider records it merges.
 */
export interface UnifiedStateChangeData extends StateChangeData {
  entity_type: 'unified_customer' | 'unified_project';
  members: string[];
  /** Unified ids this record took the members of (groups merged): those records are gone. */
  replaces?: string[];
}

/**
 * `customer.linked|unlinked`, `project.linked|unlinked` (subject: the provider record): a record
 * joined a unified record of more than itself, or was left alone. Their `changed_fields` is the
 * unified record's `members` (`unified_customer.members`, `unified_project.members`), so only
 * subscriptions whose trigger fields name the unified type receive them: an existing one, with
 * `customer.*` triggers, never does. No `entity_type` or `document`: a webhook carries this data.
 */
export interface RecordLinkData {
  changed_fields: ['unified_customer.members'] | ['unified_project.members'];
  unified_id: string;
  /** Unified ids the record's group had before, when its id changed (docs/adr/0017). */
  replaces?: string[];
  record: string;
  linked_by: 'rule' | 'manual';
  /** The keys it shares with the group, the manual links it makes or receives. */
  reason: Record<string, unknown> | null;
  caused_by: string;
}

/**
 * A projector's message on the state-changes topic: an entity's change, or an activity or
 * monitoring event passed through. It keeps its cause's subject, time, tenant and provider.
 */
export type StateChangeEvent<T extends object = StateChangeData | Record<string, unknown>> =
  CanonicalEvent<T>;

/**
 * What the dispatcher reads from the state-changes topic: the projector's state changes and the
 * operational events the dispatcher publishes itself, by the members both have.
 */
export interface DispatchableEvent extends CloudEventEnvelope {
  tenant: string;
  data: Record<string, unknown>;
}

/**
 * A state change is about an entity (the canonical event's subject); an operational event about a
 * subscription. The canonical topics' entity rule alone would refuse the dispatcher's own events,
 * and the old "any string up to 400" accepted subjects nobody makes.
 */
export const STATE_CHANGE_SUBJECT = {
  test: (value: unknown) =>
    ENTITY_SUBJECT.test(value) || (typeof value === 'string' && SUBSCRIPTION_ID.test(value)),
  says: 'must be an entity id (provider:external id) or a subscription id (sub_…)',
};

/** What the dispatcher checks every message of the state-changes topic against. */
export const STATE_CHANGE_RULES = {
  specversion: exactly(SPEC_VERSION),
  id: EVENT_ID,
  type: EVENT_TYPE,
  source: TEXT,
  subject: STATE_CHANGE_SUBJECT,
  time: ISO_TIME,
  tenant: UUID,
  data: OBJECT,
};

export const StateChangeContract: MessageContract<DispatchableEvent> = defineContract<DispatchableEvent>({
  name: 'StateChange',
  contentType: CLOUDEVENTS_CONTENT_TYPE,
  what: 'a dispatchable event',
  rules: STATE_CHANGE_RULES,
});

/** What the dispatcher runs on every message it reads. */
export function parseStateChange(value: Buffer): Parsed<DispatchableEvent> {
  return StateChangeContract.parse(value);
}

/**
 * A state change's envelope, everything but `data`, from the canonical event that caused it: the
 * projector serialises `data` itself, to write the document's JSON text once per version. Members
 * in this order on the bus.
 */
export function stateChangeEnvelope(
  cause: CanonicalEvent,
  id: string,
  type: string,
): Omit<StateChangeEvent, 'data'> {
  return {
    specversion: SPEC_VERSION,
    source: `/tenants/${cause.tenant}`,
    subject: cause.subject,
    time: cause.time,
    datacontenttype: DATA_CONTENT_TYPE,
    tenant: cause.tenant,
    provider: cause.provider,
    id,
    type,
  };
}

/** A whole state change: the envelope its cause gives, then `data`. */
export function buildStateChange<T extends object>(
  cause: CanonicalEvent,
  id: string,
  type: string,
  data: T,
): StateChangeEvent<T> {
  return { ...stateChangeEnvelope(cause, id, type), data };
}
