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
  private waiters: Array<{ target: number; resolve: (reached: boolean) => void }> = [];

  add(count: number): void {
    this.count += count;
    this.lastAt = now();
    this.settle((waiter) => this.count >= waiter.target, true);
  }

  /** Resolves true once `target` messages arrived; false after `timeoutMs` or on cancel(). */
  reached(target: number, timeoutMs: number): Promise<boolean> {
    if (this.count >= target) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (reached: boolean) => {
        clearTimeout(timer);
        resolve(reached);
      };
      this.waiters.push({ target, resolve: finish });
    });
  }

  cancel(): void {
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

  /** Nearest-rank percentiles; empty when nothing was recorded. */
  percentiles(): { p50Ms?: number; p99Ms?: number } {
    if (this.size === 0) return {};
    const sorted = this.samples.slice(0, this.size).sort();
    const rank = (p: number) => sorted[Math.min(this.size - 1, Math.ceil((p / 100) * this.size) - 1)] ?? NaN;
    return { p50Ms: rank(50), p99Ms: rank(99) };
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
 * Publishes the whole workload through `send` and waits until `arrivals` has seen all of it,
 * giving up after `timeoutMs` (the figures are then partial and `problem` says so).
 */
export async function timedRun(
  workload: Workload,
  send: SendBatch,
  arrivals: Arrivals,
  timeoutMs: number,
): Promise<RunFigures> {
  const baseline = arrivals.count;
  const start = now();
  let publishedAt: number | undefined;
  let publishError: unknown;
  const published = publishAll(workload, send).then(
    () => void (publishedAt = now()),
    (error: unknown) => {
      publishError = error;
      arrivals.cancel();
    },
  );
  const complete = await arrivals.reached(baseline + workload.messages, timeoutMs);
  // Everything arrived, so the last acknowledgements are on their way; after a timeout a hung
  // publish must not hold the run past its deadline.
  if (complete) await published;
  const messages = arrivals.count - baseline;
  const figures = {
    messages,
    seconds: ((complete ? arrivals.lastAt : now()) - start) / 1000,
    publishSeconds: publishedAt === undefined ? undefined : (publishedAt - start) / 1000,
  };
  if (publishError !== undefined) return { ...figures, problem: `publish failed: ${message(publishError)}` };
  if (!complete) {
    return {
      ...figures,
      problem: `timed out after ${timeoutMs / 1000} s, ${messages} of ${workload.messages} arrived`,
    };
  }
  return figures;
}

/** `inFlight` workers, each sending the next unsent batch until none is left. */
async function publishAll(workload: Workload, send: SendBatch): Promise<void> {
  // One shared payload: values are opaque bytes to every transport, and 100k copies would only
  // cost memory. Random, so nothing along the way can compress it.
  const payload = randomBytes(workload.payloadBytes);
  const batches = Math.ceil(workload.messages / workload.batchSize);
  let next = 0;
  const worker = async () => {
    while (next < batches) await send(batch(workload, payload, next++));
  };
  await Promise.all(Array.from({ length: Math.min(workload.inFlight, batches) }, worker));
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

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function partition<T>(items: T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}
