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
    stateChanges: `${prefix}.state.changes`,
    deadLetters: `${prefix}.dead-letters`,
  } as const;
}

export type Topics = ReturnType<typeof topicNames>;

/** Kafka message key of an entity: its tenant first, so two tenants' ids never share a key. */
export function entityKey(tenantId: string, entityId: string): string {
  return `${tenantId}/${entityId}`;
}
