import { canonicalTopics, parseCanonicalEvent, topicNames } from '@hub/contracts';
import { restFor, type LaneTable } from '@hub/runtime';
import type { ProjectorConfig } from '../config/projector.config.js';

/** The projector's consumer lanes, as its handlers name them (ProjectionConsumer). */
export const PROJECTION_LANE = {
  /** The canonical topics. */
  canonical: 'projector.canonical',
  /** Their slow lanes: what ingest accepted from a tenant beyond its fair share. */
  slow: 'projector.canonical.slow',
} as const;

/** Events per batch on the slow lane. */
const SLOW_LANE_BATCH_SIZE = 100;

/** PROJECTOR_CONSUMERS=0: the app's own thread runs the consumer lanes, no worker thread does. */
export function consumesOnAppThread(config: ProjectorConfig): boolean {
  return config.PROJECTOR_CONSUMERS === 0;
}

/** The projector's two consumer groups, from its settings. */
export function projectionLaneTable(config: ProjectorConfig): LaneTable {
  const topics = topicNames(config.TOPIC_PREFIX);
  return {
    [PROJECTION_LANE.canonical]: {
      groupId: config.PROJECTOR_GROUP_ID,
      topics: canonicalTopics(topics, 'main'),
      maxBatchSize: config.PROJECTOR_BATCH_SIZE,
      // Several batches at once: one applies while another waits on Postgres (see the setting).
      concurrency: config.PROJECTOR_CONCURRENCY,
      spanName: 'projector apply',
      parse: parseCanonicalEvent,
    },
    // A tenant's surplus over its fair share: one small batch at a time, so the
    // main lane's batches wait behind at most one short stretch of it, on the thread and in Postgres.
    [PROJECTION_LANE.slow]: {
      groupId: `${config.PROJECTOR_GROUP_ID}.slow`,
      deadLetterGroup: config.PROJECTOR_GROUP_ID,
      topics: canonicalTopics(topics, 'slow'),
      maxBatchSize: Math.min(SLOW_LANE_BATCH_SIZE, config.PROJECTOR_BATCH_SIZE),
      concurrency: 1,
      spanName: 'projector apply',
      parse: parseCanonicalEvent,
      // A rest in proportion to each batch, so the lane stays within its share of the time.
      afterBatch: (busyMs) => rest(restFor(busyMs, config.PROJECTOR_SLOW_LANE_PERCENT)),
    },
  };
}

async function rest(ms: number): Promise<void> {
  if (ms >= 1) await new Promise((resolve) => setTimeout(resolve, ms));
}
