import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { WorkerLanes } from '@hub/runtime';
import { ProjectorConfig } from '../config/projector.config.js';

/** The projector's consumers beyond the one on the app's thread (PROJECTOR_CONSUMERS). */
@Injectable()
export class ProjectionLanes implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private lanes: WorkerLanes | undefined;

  constructor(private readonly config: ProjectorConfig) {}

  onApplicationBootstrap(): void {
    const extra = this.config.PROJECTOR_CONSUMERS - 1;
    if (extra > 0) this.lanes = new WorkerLanes(new URL('./projection-lane.js', import.meta.url), extra);
  }

  /** Before the platform closes: the lanes commit their batches while the database is still open. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.lanes?.stop();
  }
}
