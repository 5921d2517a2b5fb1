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
  type SendBatch,
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

export type BusFigures = RunFigures & { p50Ms?: number; p95Ms?: number; p99Ms?: number };

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

/** A paced stream of single messages: what a hop costs when the consumer is idle between them. */
export interface HopWorkload {
  messages: number;
  perSecond: number;
}

export interface HopFigures {
  messages: number;
  /** This process's CPU per second while the subscription sat idle (nothing published). */
  idleCpuMsPerSecond: number;
  /** The same while the paced messages flowed (publisher included). */
  pacedCpuMsPerSecond: number;
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  /** Publish acknowledged to handler called: the consumer's share of the hop (negative: before the ack). */
  afterAck: { p50Ms?: number; p95Ms?: number; p99Ms?: number };
  problem?: string;
}

const HOP_INDEX = 'x-hop-index';

/**
 * One bus hop: from handing a single message to `publish` to the handler being called with it,
 * one message at a time at `perSecond`, so every message finds the consumer idle and waiting.
 */
export async function measureHop(
  bus: EventBus,
  workload: HopWorkload,
  timeoutMs: number,
): Promise<HopFigures> {
  const topic = unique(`hop-${bus.transport}`);
  const arrivals = new Arrivals();
  const latencies = new Latencies(workload.messages);
  const handledAt = new Float64Array(workload.messages);
  const subscription = await bus.subscribe({
    groupId: unique('hop'),
    topics: [topic],
    handler: async (batch) => {
      const at = now();
      for (const message of batch) {
        const sentAt = message.headers[SENT_AT];
        if (sentAt !== undefined) latencies.record(at - Number(sentAt));
        const index = message.headers[HOP_INDEX];
        if (index !== undefined) handledAt[Number(index)] = at;
      }
      arrivals.add(batch.length);
    },
  });
  try {
    const send = (batch: Parameters<EventBus['publish']>[1]) => bus.publish(topic, batch);
    await warmUp(send, arrivals);
    const idleCpuMsPerSecond = await cpuDuring(() => sleep(IDLE_MS));
    const baseline = arrivals.count;
    let arrived = false;
    let ackedAt: Float64Array = new Float64Array(0);
    const pacedCpuMsPerSecond = await cpuDuring(async () => {
      ackedAt = await sendPaced(workload, send);
      arrived = await arrivals.reached(baseline + workload.messages, timeoutMs);
    });
    return {
      messages: latencies.count,
      idleCpuMsPerSecond,
      pacedCpuMsPerSecond,
      ...latencies.percentiles(),
      afterAck: consumerShare(ackedAt, handledAt),
      ...(arrived ? {} : { problem: `${arrivals.count - baseline} of ${workload.messages} arrived` }),
    };
  } finally {
    await subscription.close().catch(() => undefined);
  }
}

/** Long enough to average many fetch waits at the longest (500 ms). */
const IDLE_MS = 5_000;

/** This process's CPU milliseconds per second while `work` runs: what empty fetches cost. */
async function cpuDuring(work: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  const started = performance.now();
  await work();
  const used = process.cpuUsage(before);
  // Microseconds of CPU over milliseconds of wall clock is milliseconds per second.
  return (used.user + used.system) / (performance.now() - started);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Publishes on a fixed schedule, not after the previous acknowledgement: a slow publish must not
 * slow the pace. Returns when each message's publish was acknowledged.
 */
async function sendPaced(workload: HopWorkload, send: SendBatch): Promise<Float64Array> {
  const intervalMs = 1000 / workload.perSecond;
  const ackedAt = new Float64Array(workload.messages);
  const start = now();
  const sends: Array<Promise<void>> = [];
  for (let i = 0; i < workload.messages; i++) {
    const dueIn = start + i * intervalMs - now();
    if (dueIn > 0) await sleep(dueIn);
    const headers = { [SENT_AT]: String(now()), [HOP_INDEX]: String(i) };
    const message = { key: `hop-${i % 8}`, value: Buffer.from(`hop ${i}`), headers };
    sends.push(send([message]).then(() => void (ackedAt[i] = now())));
  }
  await Promise.all(sends);
  return ackedAt;
}

/** Handler start minus publish acknowledgement, for every message that has both. */
function consumerShare(ackedAt: Float64Array, handledAt: Float64Array): HopFigures['afterAck'] {
  const share = new Latencies(ackedAt.length);
  ackedAt.forEach((acked, i) => {
    if (acked > 0 && handledAt[i]! > 0) share.record(handledAt[i]! - acked);
  });
  return share.percentiles();
}
