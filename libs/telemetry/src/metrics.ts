import {
  AggregatorRegistry,
  collectDefaultMetrics,
  Histogram,
  register,
  type MetricObjectWithValues,
  type MetricValue,
} from 'prom-client';

export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/** Where metrics of other threads come from (the projector's consumer threads): each gives its own. */
type MetricsSource = () => Promise<MetricsSnapshot[]>;
const sources = new Set<MetricsSource>();

/**
 * Starts the process-wide metrics of this thread's registry (prom-client's default one): CPU,
 * memory, event-loop lag, GC and handles, all labelled with `app`. Called once, by the app's main
 * thread; a consumer thread only contributes its own metrics (see addMetricsSource).
 */
export function startProcessMetrics(app: string): void {
  register.setDefaultLabels({ app });
  collectDefaultMetrics({ register, eventLoopMonitoringPrecision: 20 });
}

/** Labels every metric of a consumer thread with the app, like its main thread's. */
export function labelThreadMetrics(app: string): void {
  register.setDefaultLabels({ app });
}

/** Adds another thread's metrics to what /metrics serves; returns how to take them away. */
export function addMetricsSource(source: MetricsSource): () => void {
  sources.add(source);
  return () => sources.delete(source);
}

/** This thread's metrics as JSON, for a main thread to add to its own. */
export function metricsSnapshot(): Promise<MetricsSnapshot> {
  return register.getMetricsAsJSON() as Promise<MetricsSnapshot>;
}

/**
 * Everything /metrics serves, in Prometheus' text format: this thread's metrics, plus those of
 * every other source, counters and gauges of the same name and labels summed across threads.
 */
export async function metricsText(): Promise<string> {
  if (sources.size === 0) return register.metrics();
  const others = await Promise.all([...sources].map((source) => source()));
  const merged = AggregatorRegistry.aggregate([await metricsSnapshot(), ...others.flat()]);
  return merged.metrics();
}

export const METRICS_CONTENT_TYPE = register.contentType;

/** Seconds: the buckets of every latency histogram, from a millisecond to a minute. */
export const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

export const httpRequestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP requests served, by route (the pattern, never the path), method and status class.',
  labelNames: ['route', 'method', 'status_class'] as const,
  buckets: LATENCY_BUCKETS,
});

/** 200 → "2xx". */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

/** Seconds since `startedAt` (a process.hrtime.bigint() reading). */
export function secondsSince(startedAt: bigint): number {
  return Number(process.hrtime.bigint() - startedAt) / 1e9;
}
