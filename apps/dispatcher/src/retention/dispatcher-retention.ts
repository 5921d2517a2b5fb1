import type { TransportName } from '@hub/bus';
import { backgroundPruner, logTopicJob, type PruneJob } from '@hub/runtime';
import { DispatcherConfig } from '../config/dispatcher.config.js';
import { DispatcherLifecycleRepository } from './dispatcher-lifecycle.repository.js';

/**
 * What the dispatcher prunes: the delivery log (finished deliveries and their attempts) and, on the
 * Postgres log, the dead-letter topic, which the dispatcher and the projector both write to and
 * nobody consumes: it is read by people, within days.
 */
export function dispatcherPruneJobs(config: DispatcherConfig, transport: TransportName): PruneJob[] {
  const repository = new DispatcherLifecycleRepository();
  const deliveries: PruneJob = {
    kind: 'deliveries',
    retentionDays: config.RETENTION_DELIVERIES_DAYS,
    pruneBatch: async (manager, cutoff, limit) => {
      const { deliveries: deleted } = await repository.pruneFinished(manager, cutoff, limit);
      return { deleted, more: deleted === limit };
    },
  };
  const deadLetters = logTopicJob(
    'dead_letters',
    config,
    transport,
    'deadLetters',
    config.RETENTION_DEAD_LETTERS_DAYS,
  );
  return deadLetters ? [deliveries, deadLetters] : [deliveries];
}

/** The dispatcher's pruner, run in the background from start-up until shutdown. */
export const DispatcherRetention = backgroundPruner(DispatcherConfig, dispatcherPruneJobs);
