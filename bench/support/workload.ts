import { randomBytes } from 'node:crypto';

/** What every scenario sends: the same count, size, batching and key spread, so rows compare. */
export interface Workload {
  messages: number;
  payloadBytes: number;
  /** Messages per publish call (and per INSERT for the Postgres ceiling). */
  batchSize: number;
  /** Publish calls in flight at once. */
  inFlight: number;
  /** Distinct keys the messages are spread over. */
  keys: number;
  /**
   * Publishers wait while this many messages are published but not yet consumed. The librdkafka
   * mock cluster keeps only the last 5 MiB of each partition (rdkafka_mock.c, `max_size`): a
   * consumer lagging further gets OffsetOutOfRange, skips to the oldest retained offset, and the
   * skipped messages never arrive. The same window applies to every run, so rows stay comparable.
   */
  maxUnconsumed: number;
}

/** Shaped so it is both an OutgoingMessage of the bus and a kafkajs Message. */
export interface BenchMessage {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export type SendBatch = (batch: BenchMessage[]) => Promise<void>;

/** Header carrying the publish time; consume time minus this is the latency. */
export const SENT_AT = 'x-sent-at';

/** Epoch milliseconds with sub-millisecond precision; publisher and consumer share this process's clock. */
export const now = (): number => performance.timeOrigin + performance.now();

/** The outcome of one timed run; `messages` is what got through, not what was meant to. */
export interface RunFigures {
  messages: number;
  /** First publish to last message consumed (or inserted, for the Postgres ceiling). */
  seconds: number;
  /** First publish to last publish acknowledged: tells a slow producer from a slow consumer. */
  publishSeconds: number | undefined;
  /** Set when the run did not complete: the figures are then partial. */
  problem?: string;
}

/** Counts messages as they arrive and remembers when the last one did. */
export class Arrivals {
  count = 0;
  lastAt = 0;
  cancelled = false;
  private waiters: Array<{ target: number; resolve: (reached: boolean) => void }> = [];

  add(count: number): void {
    this.count += count;
    this.lastAt = now();
    this.settle((waiter) => this.count >= waiter.target, true);
  }

  /** Resolves true once `target` messages arrived; false after `timeoutMs` or once cancel() was called. */
  reached(target: number, timeoutMs: number): Promise<boolean> {
    if (this.count >= target) return Promise.resolve(true);
    if (this.cancelled) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = { target, resolve: (reached: boolean) => finish(reached) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        finish(false);
      }, timeoutMs);
      const finish = (reached: boolean) => {
        clearTimeout(timer);
        resolve(reached);
      };
      this.waiters.push(waiter);
    });
  }

  cancel(): void {
    this.cancelled = true;
    this.settle(() => true, false);
  }

  private settle(due: (waiter: { target: number }) => boolean, reached: boolean): void {
    const [ready, waiting] = partition(this.waiters, due);
    this.waiters = waiting;
    ready.forEach((waiter) => waiter.resolve(reached));
  }
}

/** Per-message latencies in a preallocated array: 100k samples, no GC churn while measuring. */
export class Latencies {
  private readonly samples: Float64Array;
  private size = 0;

  constructor(capacity: number) {
    this.samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    if (this.size < this.samples.length) this.samples[this.size++] = ms;
  }

  get count(): number {
    return this.size;
  }

  /** Nearest-rank percentiles; empty when nothing was recorded. */
  percentiles(): { p50Ms?: number; p95Ms?: number; p99Ms?: number } {
    if (this.size === 0) return {};
    const sorted = this.samples.slice(0, this.size).sort();
    const rank = (p: number) => sorted[Math.min(this.size - 1, Math.ceil((p / 100) * this.size) - 1)] ?? NaN;
    return { p50Ms: rank(50), p95Ms: rank(95), p99Ms: rank(99) };
  }
}

/**
 * Sends one message and waits until it arrives, before the clock starts: it creates the topic,
 * connects the producer and lets the consumer join its group (seconds on Kafka), none of which
 * is throughput.
 */
export async function warmUp(send: SendBatch, arrivals: Arrivals, timeoutMs = 60_000): Promise<void> {
  const target = arrivals.count + 1;
  await send([{ key: 'warm-up', value: Buffer.from('warm-up'), headers: {} }]);
  if (!(await arrivals.reached(target, timeoutMs))) {
    throw new Error(`the warm-up message did not arrive within ${timeoutMs / 1000} s`);
  }
}

/**
 * Publishes the whole workload through `send` and waits until `arrivals` has seen all of it.
 * Gives up at `timeoutMs`, or when nothing arrives for STALL_MS; the figures are then partial
 * and `problem` says why.
 */
export async function timedRun(
  workload: Workload,
  send: SendBatch,
  arrivals: Arrivals,
  timeoutMs: number,
): Promise<RunFigures> {
  const baseline = arrivals.count;
  const start = now();
  const deadline = start + timeoutMs;
  let publishedAt: number | undefined;
  let publishError: unknown;
  const mayPublish = (upTo: number) =>
    arrivals.reached(baseline + upTo - workload.maxUnconsumed, Math.max(0, deadline - now()));
  const published = publishAll(workload, send, mayPublish).then(
    (sentAll) => void (sentAll && (publishedAt = now())),
    (error: unknown) => {
      publishError = error;
      arrivals.cancel();
    },
  );
  let problem = await waitForArrivals(arrivals, baseline + workload.messages, deadline);
  // Everything arrived, so the last acknowledgements are on their way. After a failure a hung
  // publish must not hold the run; cancel() releases publishers waiting for their window.
  if (problem === undefined) await published;
  else arrivals.cancel();
  const messages = arrivals.count - baseline;
  if (publishError !== undefined) problem = `publish failed: ${message(publishError)}`;
  return {
    messages,
    seconds: ((problem === undefined ? arrivals.lastAt : now()) - start) / 1000,
    publishSeconds: publishedAt === undefined ? undefined : (publishedAt - start) / 1000,
    ...(problem === undefined ? {} : { problem: `${problem}; ${messages} of ${workload.messages} arrived` }),
  };
}

/** Long enough for any consumer poll or fetch wait (kafkajs waits up to 5 s), short enough not to idle. */
const STALL_MS = 15_000;

/** Undefined once `target` messages arrived, else why they did not. */
async function waitForArrivals(
  arrivals: Arrivals,
  target: number,
  deadline: number,
): Promise<string | undefined> {
  for (;;) {
    const before = arrivals.count;
    if (await arrivals.reached(target, Math.min(STALL_MS, deadline - now()))) return undefined;
    if (arrivals.cancelled) return 'cancelled';
    if (now() >= deadline) return 'timed out';
    if (arrivals.count === before) return `stalled, nothing arrived for ${STALL_MS / 1000} s`;
  }
}

/**
 * `inFlight` workers, each sending the next unsent batch until none is left, each batch only once
 * `mayPublish(its last message)` allows it. Resolves false if publishing was stopped that way.
 */
async function publishAll(
  workload: Workload,
  send: SendBatch,
  mayPublish: (upTo: number) => Promise<boolean>,
): Promise<boolean> {
  // One shared payload: values are opaque bytes to every transport, and 100k copies would only
  // cost memory. Random, so nothing along the way can compress it.
  const payload = randomBytes(workload.payloadBytes);
  const batches = Math.ceil(workload.messages / workload.batchSize);
  let next = 0;
  let stopped = false;
  const worker = async () => {
    while (next < batches && !stopped) {
      const index = next++;
      const upTo = Math.min(workload.messages, (index + 1) * workload.batchSize);
      if (!(await mayPublish(upTo))) stopped = true;
      else await send(batch(workload, payload, index));
    }
  };
  await Promise.all(Array.from({ length: Math.min(workload.inFlight, batches) }, worker));
  return !stopped;
}

/** Batch `index`, stamped with the time it is handed to the transport. */
function batch(workload: Workload, payload: Buffer, index: number): BenchMessage[] {
  const first = index * workload.batchSize;
  const size = Math.min(workload.batchSize, workload.messages - first);
  const headers = { [SENT_AT]: String(now()) };
  return Array.from({ length: size }, (_, i) => ({
    key: `key-${(first + i) % workload.keys}`,
    value: payload,
    headers,
  }));
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function partition<T>(items: T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}
