import { Logger } from '@nestjs/common';
import { Worker } from 'node:worker_threads';
import type { LaneSource, LaneStatus } from './health/lane-registry.js';
import { WorkerLaneStates } from './health/worker-lane-states.js';
import { addMetricsSource, type MetricsSnapshot } from '@hub/telemetry';
import { askLaneForMetrics } from './lane-metrics.js';

/** Message a lane's thread receives when the app stops. */
export const STOP_LANE = 'stop';
/** How long a lane may take to commit its batches and close before its thread is terminated. */
const STOP_TIMEOUT_MS = 30_000;
const MAX_RESTART_DELAY_MS = 30_000;

export interface LaneOptions {
  /** Lanes to run, numbered from 1. */
  count: number;
  /**
   * Each lane's young generation, where V8 allocates new objects: a batch's messages, events and
   * documents live until its transaction commits, and a young generation that holds several
   * batches lets most of them die there instead of being copied and promoted.
   */
  youngGenerationMb: number;
}

/**
 * An app's consumers, each on a worker thread of its own (see runLane), so that applying events
 * uses more than one core. Each lane is a full consumer of the app's group: the bus splits the
 * partitions between the lanes like between processes. A lane that dies is started again, after
 * a delay that doubles up to 30 s while it keeps failing.
 */
export class WorkerLanes implements LaneSource {
  private readonly logger = new Logger('WorkerLanes');
  private readonly workers = new Set<Worker>();
  private readonly states = new WorkerLaneStates();
  private stopping = false;
  /** The lanes' metrics are part of the main thread's /metrics (see lane-metrics.ts). */
  private readonly removeMetricsSource = addMetricsSource(() => this.laneMetrics());

  constructor(
    private readonly script: URL,
    private readonly options: LaneOptions,
  ) {
    for (let lane = 1; lane <= options.count; lane++) this.start(lane, 0);
  }

  /** Each lane thread: starting until it reports its consumers run, restarting after it died. */
  laneStatuses(): LaneStatus[] {
    return this.states.laneStatuses();
  }

  /** Asks every lane to finish its batches and close; terminates one that takes too long. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.states.stop();
    this.removeMetricsSource();
    await Promise.all([...this.workers].map((worker) => stopWorker(worker)));
  }

  private async laneMetrics(): Promise<MetricsSnapshot[]> {
    const answers = await Promise.all([...this.workers].map((worker) => askLaneForMetrics(worker)));
    return answers.filter((answer) => answer !== undefined);
  }

  private start(lane: number, failures: number): void {
    const worker = new Worker(this.script, {
      workerData: { lane },
      resourceLimits: { maxYoungGenerationSizeMb: this.options.youngGenerationMb },
    });
    const startedAt = Date.now();
    this.workers.add(worker);
    this.states.follow(lane, worker);
    worker.on('error', (error) => this.logger.error(`lane ${lane}: ${error.message}`));
    worker.once('exit', (code) => {
      this.workers.delete(worker);
      if (this.stopping) return;
      this.states.exited(lane, code);
      // A lane that ran for a while before dying starts again quickly; one that cannot start backs off.
      const tries = Date.now() - startedAt > MAX_RESTART_DELAY_MS ? 1 : failures + 1;
      const delay = Math.min(MAX_RESTART_DELAY_MS, 1_000 * 2 ** (tries - 1));
      this.logger.error(`lane ${lane} stopped (exit code ${code}); starting it again in ${delay / 1000} s`);
      setTimeout(() => {
        if (!this.stopping) this.start(lane, tries);
      }, delay).unref();
    });
  }
}

async function stopWorker(worker: Worker): Promise<void> {
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.postMessage(STOP_LANE);
  const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
