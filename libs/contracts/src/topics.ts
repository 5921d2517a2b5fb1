import type { CanonicalTopic } from './canonical-event.js';

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
