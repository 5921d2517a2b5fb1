import type { MessagePort, Worker } from 'node:worker_threads';
import { metricsSnapshot, type MetricsSnapshot } from '@hub/telemetry';

/**
 * How a main thread gets a lane thread's metrics, over the port that also carries STOP_LANE: it
 * asks with a numbered request, the lane answers with its registry's snapshot under that number.
 */
interface MetricsRequest {
  type: 'metrics';
  id: number;
}

interface MetricsReply {
  type: 'metrics-snapshot';
  id: number;
  metrics: MetricsSnapshot;
}

/** A lane that has not answered within this is left out of the scrape; it never holds it up. */
const LANE_METRICS_TIMEOUT_MS = 1_000;
let nextRequest = 0;

/** In a lane's thread: answers every metrics request that comes over `port`. */
export function answerMetricsRequests(port: MessagePort): void {
  port.on('message', (message: unknown) => {
    if (!isMessage<MetricsRequest>(message, 'metrics')) return;
    void metricsSnapshot().then(
      (metrics) =>
        port.postMessage({ type: 'metrics-snapshot', id: message.id, metrics } satisfies MetricsReply),
      // Unanswered: the main thread leaves this lane out after its timeout.
      () => undefined,
    );
  });
}

/** In the main thread: the lane's snapshot, or nothing if it does not answer within a second. */
export function askLaneForMetrics(worker: Worker): Promise<MetricsSnapshot | undefined> {
  const id = ++nextRequest;
  return new Promise((resolve) => {
    const done = (metrics: MetricsSnapshot | undefined) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      resolve(metrics);
    };
    const onMessage = (message: unknown) => {
      if (isMessage<MetricsReply>(message, 'metrics-snapshot') && message.id === id) done(message.metrics);
    };
    const onExit = () => done(undefined);
    const timer = setTimeout(() => done(undefined), LANE_METRICS_TIMEOUT_MS);
    worker.on('message', onMessage);
    worker.once('exit', onExit);
    worker.postMessage({ type: 'metrics', id } satisfies MetricsRequest);
  });
}

function isMessage<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}
