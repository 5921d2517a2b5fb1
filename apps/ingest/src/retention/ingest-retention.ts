import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { EVENT_BUS, type EventBus, type TransportName } from '@hub/bus';
import { DATA_SOURCE } from '@hub/persistence';
import { logTopicJob, pruneSchedule, Pruner, type PruneJob } from '@hub/runtime';
import type { DataSource } from 'typeorm';
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

/** Runs ingest's pruner in the background from start-up until shutdown. */
@Injectable()
export class IngestRetention implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly pruner: Pruner;

  constructor(
    @Inject(DATA_SOURCE) dataSource: DataSource,
    @Inject(EVENT_BUS) bus: EventBus,
    config: IngestConfig,
  ) {
    this.pruner = new Pruner(dataSource, ingestPruneJobs(config, bus.transport), pruneSchedule(config));
  }

  onApplicationBootstrap(): void {
    this.pruner.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.pruner.stop();
  }
}
