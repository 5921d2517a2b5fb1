import { Gauge, Histogram } from 'prom-client';
import { statusClass, TenantCounter } from '@hub/telemetry';
import type { AttemptResult } from '../outbound/outbound.client.js';
import type { ClaimedDelivery } from './delivery.repository.js';
import type { Decision } from './retry-policy.js';

const attempts = new TenantCounter({
  name: 'hub_dispatcher_attempts_total',
  help: 'Outbound webhook attempts by outcome (succeeded; failed, will retry; exhausted, the delivery is dead) and status class ("none": no answer).',
  labelNames: ['outcome', 'status_class'] as const,
});

const deliveryLatency = new Histogram({
  name: 'hub_dispatcher_delivery_latency_seconds',
  help: "From a state change's time to the attempt that delivered it successfully.",
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
});

/** Counts one attempt once its outcome is decided. */
export function countAttempt(delivery: ClaimedDelivery, result: AttemptResult, decision: Decision): void {
  const outcome =
    decision.kind === 'succeeded' ? 'succeeded' : decision.kind === 'retry' ? 'failed' : 'exhausted';
  const status_class = result.statusCode === null ? 'none' : statusClass(result.statusCode);
  attempts.inc({ outcome, status_class }, delivery.tenant_id);
  if (outcome === 'succeeded') {
    deliveryLatency.observe(Math.max(0, Date.now() - delivery.change_time.getTime()) / 1000);
  }
}

let slotsInUse: () => number = () => 0;

new Gauge({
  name: 'hub_dispatcher_send_slots_in_use',
  help: 'Outbound requests in flight in this process (at most DISPATCH_CONCURRENCY).',
  collect() {
    this.set(slotsInUse());
  },
});

/** Where the slots gauge reads requests in flight (the delivery worker's SendSlots). */
export function watchSendSlots(inFlight: () => number): void {
  slotsInUse = inFlight;
}
