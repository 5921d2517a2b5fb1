import { samplesOf, type Sample } from '../../test/support/prometheus.js';

/**
 * Garbage collection as an app reports it on its /metrics: prom-client's default histogram
 * nodejs_gc_duration_seconds, by `kind` (minor: a scavenge of the young generation; major: a
 * mark-compact of the whole heap; incremental: marking steps between; weakcb: weak callbacks).
 * Each observation is one pause of the app's thread, so the sum is the time its JavaScript stood
 * still for the collector (helper threads' time is not in it).
 */
export type GcTotals = Record<string, { seconds: number; count: number }>;

/** What one app spent collecting over a stretch of time (the difference of two scrapes). */
export interface GcFigures {
  /** Every kind's pauses together, per accepted request. */
  msPerRequest: number;
  /** Per kind: pause ms per accepted request, and collections per second. */
  byKind: Record<string, { msPerRequest: number; perSecond: number }>;
}

const DURATION = 'nodejs_gc_duration_seconds';

/** The histogram's sum and count per kind, over every other label. */
export function gcTotals(samples: Sample[]): GcTotals | undefined {
  const totals: GcTotals = {};
  for (const [suffix, field] of [
    ['_sum', 'seconds'],
    ['_count', 'count'],
  ] as const) {
    for (const { labels, value } of samplesOf(samples, `${DURATION}${suffix}`)) {
      const kind = labels['kind'] ?? 'unknown';
      totals[kind] ??= { seconds: 0, count: 0 };
      totals[kind][field] += value;
    }
  }
  return Object.keys(totals).length === 0 ? undefined : totals;
}

/** The pauses between two scrapes, per accepted request and per second; undefined without both. */
export function gcBetween(
  before: GcTotals | undefined,
  after: GcTotals | undefined,
  requests: number,
  seconds: number,
): GcFigures | undefined {
  if (!before || !after || requests <= 0 || seconds <= 0) return undefined;
  const byKind: GcFigures['byKind'] = {};
  let totalMs = 0;
  for (const [kind, total] of Object.entries(after)) {
    const ms = (total.seconds - (before[kind]?.seconds ?? 0)) * 1_000;
    const count = total.count - (before[kind]?.count ?? 0);
    totalMs += ms;
    byKind[kind] = { msPerRequest: ms / requests, perSecond: count / seconds };
  }
  return { msPerRequest: totalMs / requests, byKind };
}
