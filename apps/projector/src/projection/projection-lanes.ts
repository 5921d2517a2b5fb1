import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { EVENT_BUS, type EventBus } from '@hub/bus';
import { LaneRegistry, watchConsumerLag, WorkerLanes } from '@hub/runtime';
import { ProjectorConfig } from '../config/projector.config.js';
import { consumesOnAppThread, projectionLaneTable } from './projection.lane-table.js';

/**
 * The projector's consumers (PROJECTOR_CONSUMERS), each on a worker thread of its own; none when
 * the setting is 0 (the app's thread consumes, see main.ts).
 */
@Injectable()
export class ProjectionLanes implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private lanes: WorkerLanes | undefined;

  constructor(
    private readonly config: ProjectorConfig,
    private readonly registry: LaneRegistry,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  onApplicationBootstrap(): void {
    if (consumesOnAppThread(this.config)) return;
    // The lanes consume on their threads; their groups' lag is read here, once for the process.
    watchConsumerLag(this.bus, projectionLaneTable(this.config));
    this.lanes = new WorkerLanes(new URL('./projection-lane.js', import.meta.url), {
      count: this.config.PROJECTOR_CONSUMERS,
      youngGenerationMb: this.config.PROJECTOR_YOUNG_GENERATION_MB,
    });
    // Ready only while every lane thread consumes.
    this.registry.track(this.lanes);
  }

  /** Before the platform closes: the lanes commit their batches while the app is still up. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.lanes?.stop();
  }
}
