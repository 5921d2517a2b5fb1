import type { ConsumedMessage } from '@hub/bus';
import { canonicalEventProblem, canonicalTopics, topicNames, type CanonicalEvent } from '@hub/contracts';
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

/** The projector's two consumer groups, from its settings. */
export function projectionLaneTable(config: ProjectorConfig): LaneTable {
  const topics = topicNames(config.TOPIC_PREFIX);
  return {
    [PROJECTION_LANE.canonical]: {
      groupId: config.PROJECTOR_GROUP_ID,
      topics: canonicalTopics(topics, 'main'),
      maxBatchSize: config.PROJECTOR_BATCH_SIZE,
      // Several partitions at once: one applies while another waits on Postgres (see the setting).
      concurrency: config.PROJECTOR_CONCURRENCY,
      parse: canonicalEvent,
    },
    // A tenant's surplus over its fair share: one partition at a time, in small batches, so the
    // main lane's batches wait behind at most one short stretch of it, on the thread and in Postgres.
    [PROJECTION_LANE.slow]: {
      groupId: `${config.PROJECTOR_GROUP_ID}.slow`,
      topics: canonicalTopics(topics, 'slow'),
      maxBatchSize: Math.min(SLOW_LANE_BATCH_SIZE, config.PROJECTOR_BATCH_SIZE),
      concurrency: 1,
      parse: canonicalEvent,
      // A rest in proportion to each batch, so the lane stays within its share of the time.
      afterBatch: (busyMs) => rest(restFor(busyMs, config.PROJECTOR_SLOW_LANE_PERCENT)),
    },
  };
}

function canonicalEvent(message: ConsumedMessage): { value: CanonicalEvent } | { error: string } {
  const parsed = parseEvent(message);
  return 'error' in parsed ? parsed : { value: parsed.event };
}

async function rest(ms: number): Promise<void> {
  if (ms >= 1) await new Promise((resolve) => setTimeout(resolve, ms));
}

/** A canonical event, or why the message is not one (the live lanes and a rebuild alike). */
export function parseEvent(message: ConsumedMessage): { event: CanonicalEvent } | { error: string } {
  let body: unknown;
  try {
    body = JSON.parse(message.value.toString('utf8'));
  } catch {
    return { error: 'the message is not JSON' };
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return { error: 'the message is not a JSON object' };
  const problem = canonicalEventProblem(body as Record<string, unknown>);
  return problem ? { error: problem } : { event: body as CanonicalEvent };
}
