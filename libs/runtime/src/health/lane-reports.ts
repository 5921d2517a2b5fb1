import type { MessagePort } from 'node:worker_threads';
import { describeLanes, type LaneSource } from './lane-registry.js';

/**
 * What a lane thread tells the app's thread about itself (see WorkerLanes): `ready` once its
 * consumers run, `unready` while one of them is down after a failure, then `ready` again.
 */
export type LaneReport = { type: 'ready' } | { type: 'unready'; detail: string };

/** How often a lane thread looks at its own consumers after it is ready. */
const WATCH_INTERVAL_MS = 1_000;

export function isLaneReport(message: unknown): message is LaneReport {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'ready' || type === 'unready';
}

/**
 * In a lane thread whose consumers have just started: says so to the app's thread, then reports
 * each change of its consumers' state. Nothing to watch (no lanes): ready for good.
 */
export function reportLaneReadiness(port: MessagePort, lanes: LaneSource | undefined): void {
  let last = 'up';
  port.postMessage({ type: 'ready' } satisfies LaneReport);
  if (!lanes) return;
  const watch = setInterval(() => {
    const now = describeLanes(lanes.laneStatuses());
    if (now === last) return;
    last = now;
    port.postMessage(
      (now === 'up' ? { type: 'ready' } : { type: 'unready', detail: now }) satisfies LaneReport,
    );
  }, WATCH_INTERVAL_MS);
  watch.unref();
}
