import { Histogram } from 'prom-client';
import { LATENCY_BUCKETS, secondsSince } from '@hub/telemetry';

const publishDuration = new Histogram({
  name: 'hub_bus_publish_duration_seconds',
  help: 'Publish calls that succeeded, by topic: from the call until the transport holds every message durably (inside a consumer transaction on the Postgres log: until appended).',
  labelNames: ['topic'] as const,
  buckets: LATENCY_BUCKETS,
});

const publishBatchSize = new Histogram({
  name: 'hub_bus_publish_batch_size',
  help: 'Messages per successful publish call, by topic.',
  labelNames: ['topic'] as const,
  buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
});

/**
 * Measures one publish call of `count` messages to `topic`: call it when the call starts, and call
 * what it returns once the messages are stored (a failed publish is not observed).
 */
export function measurePublish(topic: string, count: number): () => void {
  const started = process.hrtime.bigint();
  return () => {
    publishDuration.observe({ topic }, secondsSince(started));
    publishBatchSize.observe({ topic }, count);
  };
}
