import { Counter } from 'prom-client';
import { TenantCounter } from '@hub/telemetry';
import type { UnmappedCode } from './delivery-mapping.js';

/** What became of a provider request, as /metrics counts it. */
export type IngestMetricOutcome = 'accepted' | 'unmapped' | 'rate_limited' | 'rejected';

const deliveries = new TenantCounter({
  name: 'hub_ingest_deliveries_total',
  help: 'Provider requests by provider, outcome (accepted, unmapped, rate_limited, rejected) and reason (a short code; empty when accepted).',
  labelNames: ['provider', 'outcome', 'reason'] as const,
});

const eventsPublished = new Counter({
  name: 'hub_ingest_events_published_total',
  help: 'Canonical events published by ingest, by provider.',
  labelNames: ['provider'] as const,
});

/** Reasons that slow a tenant rather than refuse a request for what it is. */
const RATE_LIMITED = new Set(['over_share', 'tenant_queue_full']);

/** A request that got a 200: accepted with its events published, or kept as unmapped. */
export function countIngested(
  source: { tenantId: string; provider: string },
  outcome:
    { kind: 'accepted'; accepted: number } | { kind: 'unmapped'; code: UnmappedCode } | { kind: 'handshake' },
): void {
  const { tenantId, provider } = source;
  if (outcome.kind === 'unmapped') {
    deliveries.inc({ provider, outcome: 'unmapped', reason: outcome.code }, tenantId);
    return;
  }
  deliveries.inc({ provider, outcome: 'accepted', reason: '' }, tenantId);
  if (outcome.kind === 'accepted' && outcome.accepted > 0)
    eventsPublished.inc({ provider }, outcome.accepted);
}

/** A request refused with `reason` (a rejection code of IngestService); `source` null: no such source. */
export function countRefused(source: { tenantId: string; provider: string } | null, reason: string): void {
  const outcome: IngestMetricOutcome = RATE_LIMITED.has(reason) ? 'rate_limited' : 'rejected';
  deliveries.inc({ provider: source?.provider ?? 'unknown', outcome, reason }, source?.tenantId ?? '');
}
