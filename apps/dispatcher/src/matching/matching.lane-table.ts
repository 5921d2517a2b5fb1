import { parseStateChange, topicNames } from '@hub/contracts';
import type { LaneTable } from '@hub/runtime';
import type { DispatcherConfig } from '../config/dispatcher.config.js';

/** The dispatcher's consumer lane, as its handler names it (MatchingConsumer). */
export const MATCHING_LANE = {
  /** The state-changes topic. */
  stateChanges: 'dispatcher.state-changes',
} as const;

/** Messages per batch: one transaction matches and inserts them all. */
const MATCHING_BATCH_SIZE = 500;

/**
 * One consumer group over the state-changes topic only: it also carries the monitoring and
 * activity events the projector passes through, and our operational events.
 */
export function matchingLaneTable(config: DispatcherConfig): LaneTable {
  return {
    [MATCHING_LANE.stateChanges]: {
      groupId: config.DISPATCHER_GROUP_ID,
      topics: [topicNames(config.TOPIC_PREFIX).stateChanges],
      maxBatchSize: MATCHING_BATCH_SIZE,
      concurrency: 1,
      spanName: 'dispatcher matching',
      parse: parseStateChange,
    },
  };
}
