import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { LaneRegistry, WorkerLanes } from '@hub/runtime';
import { ProjectorConfig } from '../config/projector.config.js';

/** The projector's consumers (PROJECTOR_CONSUMERS), each on a worker thread of its own. */
@Injectable()
export class ProjectionLanes implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private lanes: WorkerLanes | undefined;

  constructor(
    private readonly config: ProjectorConfig,
    private readonly registry: LaneRegistry,
  ) {}

  onApplicationBootstrap(): void {
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
