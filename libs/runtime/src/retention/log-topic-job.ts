import { prunePostgresLogTopic, type TransportName } from '@hub/bus';
import type { PlatformConfig } from '@hub/config';
import { topicNames } from '@hub/contracts';
import type { PruneJob, PruneSchedule } from './pruner.js';

/**
 * The topics whose messages may be deleted on the Postgres log. The canonical topics are not among
 * them, and cannot be named here: they are the source of truth a rebuild reads from the start
 * (docs/adr/0004), so nothing ever deletes them but erasing their tenant.
 */
export type PrunableTopic = 'rawDeliveries' | 'stateChanges' | 'deadLetters';

/**
 * A job deleting a topic's old messages on the Postgres log. On Kafka the broker keeps the topic's
 * retention itself (retention.ms, docs/kafka.md), so there is no job: null.
 */
export function logTopicJob(
  kind: string,
  config: PlatformConfig,
  transport: TransportName,
  topic: PrunableTopic,
  retentionDays: number,
): PruneJob | null {
  if (transport !== 'postgres-log') return null;
  const name = topicNames(config.TOPIC_PREFIX)[topic];
  return {
    kind,
    retentionDays,
    pruneBatch: (manager, cutoff, limit) => prunePostgresLogTopic(manager, name, cutoff, limit),
  };
}

/** The shared schedule of every app's pruner, from its settings. */
export function pruneSchedule(config: PlatformConfig): PruneSchedule {
  return {
    intervalMs: config.RETENTION_INTERVAL,
    batchSize: config.RETENTION_BATCH_SIZE,
    pauseMs: config.RETENTION_BATCH_PAUSE,
  };
}
