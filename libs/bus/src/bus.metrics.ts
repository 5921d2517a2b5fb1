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

const appendMessages = new Histogram({
  name: 'hub_bus_append_messages',
  help: 'Messages per successful group-committed append (one transaction on the Postgres log, one produce request on Kafka), by transport.',
  labelNames: ['transport'] as const,
  buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000],
});

const appendCallers = new Histogram({
  name: 'hub_bus_append_callers',
  help: 'Publish calls coalesced into one successful append, by transport.',
  labelNames: ['transport'] as const,
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
});

const appendDuration = new Histogram({
  name: 'hub_bus_append_duration_seconds',
  help: 'Successful group-committed appends, by transport: from the start of the write until it is durable.',
  labelNames: ['transport'] as const,
  buckets: LATENCY_BUCKETS,
});

/** Measures one append of `callers` coalesced calls: call what it returns with its messages once durable. */
export function measureAppend(transport: string, callers: number): (messages: number) => void {
  const started = process.hrtime.bigint();
  return (messages) => {
    appendDuration.observe({ transport }, secondsSince(started));
    appendMessages.observe({ transport }, messages);
    appendCallers.observe({ transport }, callers);
  };
}
