import { createEventBus, type EventBus } from '@hub/bus';
import { loadConfig, PlatformConfig } from '@hub/config';
import { busSettings } from '@hub/runtime';
import { unique } from '../../test/support/collector.js';
import { openDatabase } from '../../test/support/transports.js';
import {
  Arrivals,
  Latencies,
  now,
  SENT_AT,
  timedRun,
  warmUp,
  type RunFigures,
  type Workload,
} from './workload.js';

export interface OpenBus {
  bus: EventBus;
  close(): Promise<void>;
}

/**
 * A bus built the way the test fixture builds it: settings parsed from `env` as an app parses
 * them, on a DataSource of its own. No outage proxy: it would only add a hop to every query.
 */
export async function openBus(env: Record<string, string>): Promise<OpenBus> {
  const config = loadConfig(PlatformConfig, env);
  const dataSource = await openDatabase(config.DATABASE_URL);
  const bus = createEventBus(busSettings(config, 'bench'), dataSource);
  return {
    bus,
    close: async () => {
      await bus.close().catch(() => undefined);
      await dataSource.destroy().catch(() => undefined);
    },
  };
}

export type BusFigures = RunFigures & { p50Ms?: number; p99Ms?: number };

/**
 * Publish-to-consume through the EventBus: one consumer group subscribed before the first
 * publish, the clock running from the first publish to the last message handed to the handler.
 */
export async function measureBus(bus: EventBus, workload: Workload, timeoutMs: number): Promise<BusFigures> {
  const topic = unique(`bench-${bus.transport}`);
  const arrivals = new Arrivals();
  const latencies = new Latencies(workload.messages);
  const subscription = await bus.subscribe({
    groupId: unique('bench'),
    topics: [topic],
    maxBatchSize: workload.batchSize,
    handler: async (batch) => {
      const at = now();
      for (const message of batch) {
        const sentAt = message.headers[SENT_AT];
        if (sentAt !== undefined) latencies.record(at - Number(sentAt));
      }
      arrivals.add(batch.length);
    },
  });
  try {
    const send = (batch: Parameters<EventBus['publish']>[1]) => bus.publish(topic, batch);
    await warmUp(send, arrivals);
    const figures = await timedRun(workload, send, arrivals, timeoutMs);
    return { ...figures, ...latencies.percentiles() };
  } finally {
    await subscription.close().catch(() => undefined);
  }
}
