import { Counter, Histogram } from 'prom-client';
import type { CanonicalEvent } from '@hub/contracts';
import type { Decoded } from '@hub/runtime';
import { LATENCY_BUCKETS, secondsSince } from '@hub/telemetry';
import type { StateChange } from './projection.service.js';

// Counted in the consumer threads; the main thread's /metrics sums them (see WorkerLanes).
const eventsApplied = new Counter({
  name: 'hub_projector_events_applied_total',
  help: 'Canonical events applied by the projector in committed batches (a redelivered event counts again; dead-lettered ones do not), by provider.',
  labelNames: ['provider'] as const,
});

const stateChangesPublished = new Counter({
  name: 'hub_projector_state_changes_published_total',
  help: 'State changes published by the projector, by entity type (the first part of the change type: project, customer, monitor, monitoring, activity, unified_customer, unified_project).',
  labelNames: ['entity_type'] as const,
});

const applyDuration = new Histogram({
  name: 'hub_projector_apply_duration_seconds',
  help: 'Batches applied and committed by the projector: its transaction, state changes included.',
  buckets: LATENCY_BUCKETS,
});

/**
 * Counts a batch whose transaction committed: its events but those the transaction dead-lettered,
 * the state changes it published, and its time since `started` (process.hrtime.bigint()).
 */
export function countAppliedBatch(
  events: Array<Decoded<CanonicalEvent>>,
  deadLettered: ReadonlyArray<{ message: Decoded<CanonicalEvent>['message'] }>,
  changes: StateChange[],
  started: bigint,
): void {
  applyDuration.observe(secondsSince(started));
  const lettered = new Set(deadLettered.map(({ message }) => message));
  for (const { value, message } of events) {
    if (!lettered.has(message)) eventsApplied.inc({ provider: value.provider });
  }
  for (const change of changes) stateChangesPublished.inc({ entity_type: entityType(change.type) });
}

function entityType(type: string): string {
  const dot = type.indexOf('.');
  return dot < 0 ? type : type.slice(0, dot);
}
