/** Longest rest after one stretch of work: on Kafka a handler that sleeps too long misses heartbeats. */
const MAX_REST_MS = 2_000;

/**
 * How long to rest after `busyMs` of work so that the work takes at most `percent` of the time
 * (the slow lanes' pace, ADR 0010), capped at two seconds.
 */
export function restFor(busyMs: number, percent: number): number {
  return Math.min(MAX_REST_MS, busyMs * (100 / percent - 1));
}
