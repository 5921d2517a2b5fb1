import type { BeforeApplicationShutdown, OnApplicationBootstrap, Provider, Type } from '@nestjs/common';
import { EVENT_BUS, type EventBus, type TransportName } from '@hub/bus';
import type { PlatformConfig } from '@hub/config';
import { DATA_SOURCE } from '@hub/persistence';
import type { DataSource } from 'typeorm';
import { pruneSchedule } from './log-topic-job.js';
import { Pruner, type PruneJob } from './pruner.js';

/** What an app prunes, from its validated settings and the bus it runs on. */
export type PruneJobsOf<C extends PlatformConfig> = (config: C, transport: TransportName) => PruneJob[];

/** Runs an app's pruner in the background, from start-up until shutdown. */
export class BackgroundPruner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(private readonly pruner: Pruner) {}

  onApplicationBootstrap(): void {
    this.pruner.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.pruner.stop();
  }
}

/** The provider of an app's BackgroundPruner: each app names its settings class and its jobs. */
export function backgroundPruner<C extends PlatformConfig>(
  configClass: Type<C>,
  jobsOf: PruneJobsOf<C>,
): Provider<BackgroundPruner> {
  return {
    provide: BackgroundPruner,
    inject: [DATA_SOURCE, EVENT_BUS, configClass],
    useFactory: (dataSource: DataSource, bus: EventBus, config: C) =>
      new BackgroundPruner(new Pruner(dataSource, jobsOf(config, bus.transport), pruneSchedule(config))),
  };
}
