/**
 * Where a consumer lane is: `starting` until it consumes, `running` while it does, `down` after a
 * failure it recovers from by itself (a crashed Kafka consumer, a lost Postgres-log lease),
 * `restarting` while a lane thread that died waits to start again, `stopped` once the app stops it.
 */
export type LaneState = 'starting' | 'running' | 'down' | 'restarting' | 'stopped';

export interface LaneStatus {
  lane: string;
  state: LaneState;
  /** Why it is not running, when known (a thread's exit code, a lane thread's own report). */
  detail?: string;
}

/** Something that runs consumer lanes and can say where each one is. */
export interface LaneSource {
  laneStatuses(): LaneStatus[];
}

/**
 * Every consumer lane of this thread's app, for readiness: the in-thread lanes of the bus
 * transport and the lane threads an app starts itself (WorkerLanes), each added by its owner.
 */
export class LaneRegistry {
  private readonly sources = new Set<LaneSource>();

  /** Adds a source of lanes; returns how to take it away. */
  track(source: LaneSource): () => void {
    this.sources.add(source);
    return () => this.sources.delete(source);
  }

  statuses(): LaneStatus[] {
    return [...this.sources].flatMap((source) => source.laneStatuses());
  }
}

/** "up" when every lane runs (or there are none), else "down: " and the lanes that do not. */
export function describeLanes(statuses: LaneStatus[]): string {
  const notRunning = statuses.filter((status) => status.state !== 'running');
  if (notRunning.length === 0) return 'up';
  const lanes = notRunning.map(
    ({ lane, state, detail }) => `${lane} ${state}${detail ? ` (${detail})` : ''}`,
  );
  return `down: ${lanes.join(', ')}`;
}
