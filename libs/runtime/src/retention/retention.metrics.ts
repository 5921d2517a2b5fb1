import { Counter, Gauge, Histogram } from 'prom-client';
import { secondsSince } from '@hub/telemetry';

const rowsDeleted = new Counter({
  name: 'hub_retention_deleted_total',
  help: 'Rows (or log messages) deleted because they outlived their retention, by kind of data.',
  labelNames: ['kind'] as const,
});

const roundDuration = new Histogram({
  name: 'hub_retention_round_duration_seconds',
  help: 'How long one round of pruning a kind of data took, pauses between batches included.',
  labelNames: ['kind'] as const,
  buckets: [0.01, 0.1, 1, 10, 60, 300, 1_800, 3_600],
});

const lastCutoff = new Gauge({
  name: 'hub_retention_cutoff_timestamp_seconds',
  help: 'The cutoff of the last round that finished, by kind: everything older is gone (Unix time).',
  labelNames: ['kind'] as const,
});

const failures = new Counter({
  name: 'hub_retention_failures_total',
  help: 'Rounds of pruning that failed (logged; the next round tries again), by kind.',
  labelNames: ['kind'] as const,
});

/** The metrics of one kind of data, bound to its label. */
export function pruneMetrics(kind: string) {
  return {
    deleted: (count: number) => rowsDeleted.inc({ kind }, count),
    roundDone: (startedAt: bigint, cutoff: Date) => {
      roundDuration.observe({ kind }, secondsSince(startedAt));
      lastCutoff.set({ kind }, cutoff.getTime() / 1000);
    },
    failed: () => failures.inc({ kind }),
  };
}
