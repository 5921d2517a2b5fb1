import type { TransportName } from '@hub/bus';
import { backgroundPruner, logTopicJob, type PruneJob } from '@hub/runtime';
import { IngestConfig } from '../config/ingest.config.js';
import { IngestLifecycleRepository } from './ingest-lifecycle.repository.js';

/**
 * What ingest prunes: the provider's raw bodies, which hold customers' personal data, wherever
 * ingest keeps them (the raw-deliveries topic on the Postgres log, the unmapped deliveries).
 */
export function ingestPruneJobs(config: IngestConfig, transport: TransportName): PruneJob[] {
  const days = config.RETENTION_RAW_DELIVERIES_DAYS;
  const repository = new IngestLifecycleRepository();
  const unmapped: PruneJob = {
    kind: 'unmapped_deliveries',
    retentionDays: days,
    pruneBatch: async (manager, cutoff, limit) => {
      const deleted = await repository.pruneUnmapped(manager, cutoff, limit);
      return { deleted, more: deleted === limit };
    },
  };
  const raw = logTopicJob('raw_deliveries', config, transport, 'rawDeliveries', days);
  return raw ? [raw, unmapped] : [unmapped];
}

/** The ingest's pruner, run in the background from start-up until shutdown. */
export const IngestRetention = backgroundPruner(IngestConfig, ingestPruneJobs);
