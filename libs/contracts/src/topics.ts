import { CanonicalEventContract, type CanonicalTopic } from './canonical/canonical-event.js';
import { cloudEventHeaders } from './cloudevents.js';
import type { MessageContract } from './contract.js';
import { DeadLetterContract } from './dead-letters/dead-letter.js';
import { OperationalEventContract } from './operational/operational-event.js';
import { RawDeliveryContract } from './raw-deliveries/raw-delivery.js';
import { StateChangeContract } from './state-changes/state-change.js';

/**
 * Every topic of the system. The prefix (TOPIC_PREFIX, default `hub`) lets several installations
 * share one Kafka cluster. Keys are always `<tenant id>/<entity id>`.
 */
export function topicNames(prefix = 'hub') {
  return {
    rawDeliveries: `${prefix}.raw.deliveries`,
    projects: `${prefix}.canonical.projects`,
    customers: `${prefix}.canonical.customers`,
    monitoring: `${prefix}.canonical.monitoring`,
    // The slow lanes: what ingest accepts from a tenant beyond its fair share (see FairShare).
    slowProjects: `${prefix}.canonical.projects.slow`,
    slowCustomers: `${prefix}.canonical.customers.slow`,
    slowMonitoring: `${prefix}.canonical.monitoring.slow`,
    stateChanges: `${prefix}.state.changes`,
    deadLetters: `${prefix}.dead-letters`,
  } as const;
}

export type Topics = ReturnType<typeof topicNames>;

/** Which lane an event travels: `slow` holds a tenant's surplus, applied behind everyone else. */
export type Lane = 'main' | 'slow';

const SLOW_LANE = {
  projects: 'slowProjects',
  customers: 'slowCustomers',
  monitoring: 'slowMonitoring',
} as const;

/** The topic of a canonical event of kind `topic` in `lane`. */
export function canonicalTopic(topics: Topics, topic: CanonicalTopic, lane: Lane): string {
  return topics[lane === 'slow' ? SLOW_LANE[topic] : topic];
}

/** The canonical topics of one lane, or of both (what a rebuild reads). */
export function canonicalTopics(topics: Topics, lane: Lane | 'both' = 'both'): string[] {
  const kinds: CanonicalTopic[] = ['projects', 'customers', 'monitoring'];
  const lanes: Lane[] = lane === 'both' ? ['main', 'slow'] : [lane];
  return lanes.flatMap((each) => kinds.map((kind) => canonicalTopic(topics, kind, each)));
}

/** Kafka message key of an entity: its tenant first, so two tenants' ids never share a key. */
export function entityKey(tenantId: string, entityId: string): string {
  return `${tenantId}/${entityId}`;
}

/**
 * A CloudEvent as a bus message: keyed by its tenant and subject (one entity, one partition, in
 * order), structured-mode JSON, with its headers. `json` when the caller already serialized it.
 */
export function cloudEventMessage(
  event: { id: string; type: string; tenant: string; subject: string },
  json: string = JSON.stringify(event),
): { key: string; value: string; headers: Record<string, string> } {
  return { key: entityKey(event.tenant, event.subject), value: json, headers: cloudEventHeaders(event) };
}

/** A topic by its key in topicNames: `projects`, `slowProjects`, `stateChanges`, … */
export type TopicKey = keyof Topics;

/**
 * Which messages each topic carries, its main one first: the one declaration that producers,
 * consumers and docs/asyncapi.yaml (checked by a test) follow.
 */
export const TOPIC_MESSAGES: { readonly [K in TopicKey]: ReadonlyArray<MessageContract<object>> } = {
  rawDeliveries: [RawDeliveryContract],
  projects: [CanonicalEventContract],
  customers: [CanonicalEventContract],
  monitoring: [CanonicalEventContract],
  slowProjects: [CanonicalEventContract],
  slowCustomers: [CanonicalEventContract],
  slowMonitoring: [CanonicalEventContract],
  // The dispatcher's operational events pass the state-change rules too: it reads them as one.
  stateChanges: [StateChangeContract, OperationalEventContract],
  // An exhausted delivery's operational event is dead-lettered beside the consumers' dead letters.
  deadLetters: [DeadLetterContract, OperationalEventContract],
};
