import type { Worker } from 'node:worker_threads';
import type { LaneSource, LaneStatus } from './lane-registry.js';
import { isLaneReport } from './lane-reports.js';

/**
 * Where each lane thread of WorkerLanes is, from what the thread reports (see reportLaneReadiness)
 * and from its exit: starting from its start until it says `ready`, down while it says `unready`,
 * restarting from its exit until its next start, stopped once the app stops the lanes.
 */
export class WorkerLaneStates implements LaneSource {
  private readonly lanes = new Map<number, LaneStatus>();
  private stopped = false;

  follow(lane: number, worker: Worker): void {
    const name = laneName(lane);
    this.lanes.set(lane, { lane: name, state: 'starting' });
    worker.on('message', (message: unknown) => {
      if (!isLaneReport(message) || this.lanes.get(lane)?.state === 'restarting') return;
      this.lanes.set(
        lane,
        message.type === 'ready'
          ? { lane: name, state: 'running' }
          : { lane: name, state: 'down', detail: message.detail },
      );
    });
  }

  exited(lane: number, code: number): void {
    this.lanes.set(lane, { lane: laneName(lane), state: 'restarting', detail: `exit code ${code}` });
  }

  stop(): void {
    this.stopped = true;
  }

  laneStatuses(): LaneStatus[] {
    const statuses = [...this.lanes.values()];
    return this.stopped ? statuses.map(({ lane }) => ({ lane, state: 'stopped' })) : statuses;
  }
}

function laneName(lane: number): string {
  return `lane thread ${lane}`;
}
