import { Logger } from '@nestjs/common';
import { Gauge } from 'prom-client';
import type { EventBus } from '@hub/bus';
import type { LaneTable } from '../bus-transport/consumer-lane.js';
import { withTimeout } from '../platform.js';

/** A scrape waits this long for the bus's offsets in all; what is not read by then is left out of it. */
const LAG_TIMEOUT_MS = 2_000;

interface WatchedGroup {
  bus: EventBus;
  groupId: string;
  topics: string[];
}

const watched = new Set<WatchedGroup>();
const logger = new Logger('ConsumerLag');

/**
 * Messages a group has yet to read, per partition, computed when Prometheus scrapes: the
 * partition's next offset (Kafka's high watermark) minus the group's committed offset (0 before its
 * first commit). Only the app's main thread watches groups, so the threads' sums never count a
 * group twice.
 *
 * The topics are read one after another, not all at once: on the Postgres log each reading is two
 * queries on the app's pool, and the projector's six (two groups of three topics) at once took up
 * to ten connections at every scrape, which the pool closed again 10 s later, so each scrape
 * opened up to nine new ones (a backend, its authentication, its prepared statements).
 */
new Gauge({
  name: 'hub_bus_consumer_lag',
  help: 'Messages not yet consumed, by consumer group, topic and partition (next offset minus committed offset), read at scrape time.',
  labelNames: ['group', 'topic', 'partition'] as const,
  async collect() {
    this.reset();
    const deadline = Date.now() + LAG_TIMEOUT_MS;
    for (const group of [...watched]) {
      for (const topic of group.topics) {
        const left = deadline - Date.now();
        if (left <= 0) {
          logger.debug(`lag of ${group.groupId} on ${topic} left out of this scrape: out of time`);
          continue;
        }
        for (const reading of await lagOf(group, topic, left)) this.set(reading.labels, reading.lag);
      }
    }
  },
});

/**
 * Reports the lag of every consumer group of `lanes` on `bus` at each scrape, from this thread,
 * until the returned function is called.
 */
export function watchConsumerLag(bus: EventBus, lanes: LaneTable): () => void {
  const groups = Object.values(lanes).map((lane) => ({ bus, groupId: lane.groupId, topics: lane.topics }));
  groups.forEach((group) => watched.add(group));
  return () => groups.forEach((group) => watched.delete(group));
}

async function lagOf(
  { bus, groupId }: WatchedGroup,
  topic: string,
  timeoutMs: number,
): Promise<Array<{ labels: { group: string; topic: string; partition: string }; lag: number }>> {
  try {
    const [latest, committed] = await withTimeout(
      Promise.all([bus.latestOffsets(topic), bus.committedOffsets(groupId, topic)]),
      timeoutMs,
    );
    const committedBy = new Map(committed.map(({ partition, offset }) => [partition, BigInt(offset)]));
    return latest.map(({ partition, offset }) => ({
      labels: { group: groupId, topic, partition: String(partition) },
      // Read apart, a commit can land between the two readings: never below 0.
      lag: Math.max(0, Number(BigInt(offset) - (committedBy.get(partition) ?? 0n))),
    }));
  } catch (error) {
    // A scrape while the bus is down still serves every other metric.
    logger.debug(`lag of ${groupId} on ${topic} left out of this scrape: ${(error as Error).message}`);
    return [];
  }
}
