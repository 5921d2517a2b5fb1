import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { OutgoingMessage } from '@hub/bus';
import { topicNames } from '@hub/contracts';
import { deliveryId } from '../../apps/dispatcher/src/matching/matching.service.js';
import { startApp, type RunningApp } from '../../test/support/app-process.js';
import { postJson } from '../../test/support/tenants.js';
import { changeMessage, stateChange } from '../../test/support/state-changes.js';
import type { BenchReceiver, Receipts } from './dispatch-receiver.js';
import { projectDocument } from './projector-workload.js';
import { Latencies, message, now } from './workload.js';

export const TOPICS = topicNames('hub');

const DISPATCHER_MAIN = fileURLToPath(new URL('../../apps/dispatcher/src/main.js', import.meta.url));
/** Nothing new received for this long: the phase is stuck and ends with partial figures. */
const STALL_MS = 30_000;
const BASE_TIME = Date.parse('2026-11-22T00:00:00.000Z');

export type RunningDispatcher = RunningApp;

/** The dispatcher as a real process, with its own defaults for everything but what a local receiver needs. */
export function startDispatcher(env: Record<string, string>): Promise<RunningDispatcher> {
  // E.g. `--import=/path/to/profiler.mjs`, to see where the dispatcher spends its time.
  const nodeOptions = process.env['BENCH_DISPATCHER_NODE_OPTIONS'];
  return startApp('dispatcher', DISPATCHER_MAIN, 'DISPATCHER_PORT', {
    ...env,
    LOG_LEVEL: 'warn',
    ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
  });
}

export interface BenchSubscription {
  id: string;
  endpoint: string;
  /** The generated whsec_ secret, shown once in the create answer: the ceiling signs with it. */
  secret: string;
}

/** A subscription over the API, as a tenant makes one: default fields, standard-webhooks, validated. */
export async function subscribe(base: string, apiKey: string, endpoint: string): Promise<BenchSubscription> {
  const body: Partial<Record<string, string>> = await postJson(base, apiKey, '/v1/subscriptions', {
    endpoint,
    description: 'dispatch benchmark',
  });
  if (body['status'] !== 'active' || !body['id'] || !body['secret']) {
    throw new Error(`creating a subscription answered ${JSON.stringify(body)}`);
  }
  return { id: body['id'], endpoint, secret: body['secret'] };
}

/** What one phase sends: units (a bus batch, a tick, a request), each with the deliveries it leads to. */
export interface Unit {
  ids: string[];
}

export interface ChangeUnit extends Unit {
  messages: OutgoingMessage[];
}

/**
 * `count` state changes as the projector publishes them, `perUnit` to a unit, each with the
 * delivery ids the dispatcher derives for it on every subscription. Change `i` is version
 * `i / entities + 1` of entity `<prefix>-<i % entities>`, a ~1 KB project document whose stage and
 * sync_revision changed, so the default trigger fields match and the payload is the whole document.
 */
export function changeUnits(
  tenant: string,
  prefix: string,
  count: number,
  entities: number,
  perUnit: number,
  subscriptions: BenchSubscription[],
): ChangeUnit[] {
  const units: ChangeUnit[] = [];
  for (let first = 0; first < count; first += perUnit) {
    const unit: ChangeUnit = { ids: [], messages: [] };
    for (let i = first; i < Math.min(count, first + perUnit); i++) {
      const change = stateChange({
        tenant,
        entityId: `pylon-observer:${prefix}-${i % entities}`,
        version: Math.floor(i / entities) + 1,
        changed: ['project.stage', 'project.sync_revision'],
        document: projectDocument(i, entities),
        time: new Date(BASE_TIME + i).toISOString(),
      });
      unit.messages.push(changeMessage(change));
      for (const subscription of subscriptions)
        unit.ids.push(deliveryId(subscription.id, String(change['id'])));
    }
    units.push(unit);
  }
  return units;
}

/** How units go out: as fast as `inFlight` concurrent sends allow, or one every `intervalMs`. */
export type Pace = { inFlight: number } | { intervalMs: number };

export interface PhaseFigures {
  /** Deliveries the phase meant to see arrive. */
  deliveries: number;
  /** Distinct ones that did arrive. */
  received: number;
  /** First send to last distinct receipt (to the end of waiting, when not all arrived). */
  seconds?: number;
  perSecond?: number;
  /** Receipt rate between the 10th and the 90th percentile receipt: the pace once busy. */
  steadyPerSecond?: number;
  /** First send to the last send done (bus publish acknowledged, or request answered). */
  sendSeconds?: number;
  /** Send of the unit to receipt of the delivery, over every distinct delivery received. */
  p50Ms?: number;
  p99Ms?: number;
  /** Requests for an id already received: a retry or a second sender. */
  duplicates: number;
  /** Epoch ms of the first send and of the last distinct receipt, for the recording lag. */
  startedAt: number;
  lastReceiptAt?: number;
  problem?: string;
}

/**
 * Sends `units` at `pace` through `send`, stamping each unit with the time it is handed over, and
 * waits until the receiver has seen as many requests as there are ids; then reads the receiver's
 * records and computes the figures from the ids it knows (the receiver must be reset before).
 */
export async function runPhase<U extends Unit>(
  receiver: BenchReceiver,
  units: U[],
  send: (unit: U) => Promise<void>,
  pace: Pace,
  timeoutMs: number,
): Promise<PhaseFigures> {
  const total = units.reduce((sum, unit) => sum + unit.ids.length, 0);
  const sentAt = new Float64Array(units.length);
  const unitOf = new Map<string, number>();
  units.forEach((unit, index) => unit.ids.forEach((id) => unitOf.set(id, index)));

  const start = now();
  let sendError: unknown;
  let sentAllAt: number | undefined;
  const sendUnit = async (index: number) => {
    sentAt[index] = now();
    await send(units[index]!);
  };
  let sending: Promise<unknown>;
  if ('inFlight' in pace) {
    let next = 0;
    const worker = async () => {
      while (next < units.length && sendError === undefined) await sendUnit(next++);
    };
    sending = Promise.all(Array.from({ length: Math.min(pace.inFlight, units.length) }, worker));
  } else {
    sending = (async () => {
      const pending: Array<Promise<void>> = [];
      for (let index = 0; index < units.length && sendError === undefined; index++) {
        const due = start + index * pace.intervalMs;
        if (due > now()) await new Promise((resolve) => setTimeout(resolve, due - now()));
        pending.push(sendUnit(index));
      }
      await Promise.all(pending);
    })();
  }
  const sent = sending.then(
    () => void (sentAllAt = now()),
    (error: unknown) => void (sendError = error),
  );

  const reached = await receiver.reached(total, STALL_MS, Date.now() + timeoutMs);
  if (reached) await sent;
  let problem: string | undefined;
  if (sendError !== undefined) problem = `sending failed: ${message(sendError)}`;
  else if (!reached) problem = receiver.count > 0 ? 'stalled or timed out' : 'nothing arrived';

  const figures = summarise(await receiver.receipts(), unitOf, sentAt, total, start);
  if (sentAllAt !== undefined) figures.sendSeconds = (sentAllAt - start) / 1000;
  if (figures.received < total) problem ??= 'not every delivery arrived';
  if (problem !== undefined) {
    figures.problem = `${problem}; ${figures.received} of ${total} received`;
    figures.seconds = (now() - start) / 1000;
    figures.perSecond = figures.received / figures.seconds;
  }
  return figures;
}

function summarise(
  receipts: Receipts,
  unitOf: Map<string, number>,
  sentAt: Float64Array,
  total: number,
  start: number,
): PhaseFigures {
  const latencies = new Latencies(total);
  const seen = new Set<string>();
  const firstReceipts: number[] = [];
  let duplicates = 0;
  receipts.ids.forEach((id, index) => {
    const unit = unitOf.get(id);
    if (unit === undefined) return;
    if (seen.has(id)) {
      duplicates++;
      return;
    }
    seen.add(id);
    const at = receipts.times[index]!;
    firstReceipts.push(at);
    latencies.record(at - sentAt[unit]!);
  });
  firstReceipts.sort((a, b) => a - b);
  const lastReceiptAt = firstReceipts.at(-1);
  const figures: PhaseFigures = {
    deliveries: total,
    received: seen.size,
    duplicates,
    startedAt: start,
    ...latencies.percentiles(),
  };
  if (lastReceiptAt !== undefined) {
    figures.lastReceiptAt = lastReceiptAt;
    figures.seconds = (lastReceiptAt - start) / 1000;
    figures.perSecond = seen.size / figures.seconds;
  }
  const from = Math.floor(firstReceipts.length * 0.1);
  const to = Math.floor(firstReceipts.length * 0.9) - 1;
  const span = (firstReceipts[to] ?? 0) - (firstReceipts[from] ?? 0);
  if (to > from && span > 0) figures.steadyPerSecond = ((to - from) / span) * 1000;
  return figures;
}

/** Delivery rows and the dispatcher's backends, read on a connection of the benchmark's own. */
export class DeliveryProgress {
  private constructor(private readonly client: pg.Client) {}

  static async open(databaseUrl: string): Promise<DeliveryProgress> {
    const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-progress' });
    client.on('error', () => undefined);
    await client.connect();
    return new DeliveryProgress(client);
  }

  async succeeded(): Promise<number> {
    const { rows } = await this.client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM deliveries WHERE status = 'succeeded'`,
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * Reads the succeeded count every `pollMs` until it reaches `target`: the epoch ms of the first
   * reading that showed them all, or undefined at `timeoutMs`.
   */
  async recordedAt(target: number, pollMs: number, timeoutMs: number): Promise<number | undefined> {
    const deadline = now() + timeoutMs;
    for (;;) {
      const at = now();
      if ((await this.succeeded()) >= target) return at;
      if (at > deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, at + pollMs - now())));
    }
  }

  /** How the deliveries of a phase ended: by status, with more than one attempt, and when they were matched. */
  async outcomes(ids: string[]): Promise<DeliveryOutcomes> {
    const { rows } = await this.client.query<{
      status: string;
      n: number;
      retried: number;
      first_ms: number | null;
      last_ms: number | null;
    }>(
      `SELECT status, count(*)::int AS n, count(*) FILTER (WHERE attempts > 1)::int AS retried,
              extract(epoch FROM min(created_at)) * 1000 AS first_ms,
              extract(epoch FROM max(created_at)) * 1000 AS last_ms
         FROM deliveries WHERE id = ANY($1::text[]) GROUP BY status`,
      [ids],
    );
    const byStatus = Object.fromEntries(rows.map((row) => [row.status, row.n]));
    const firsts = rows.map((row) => Number(row.first_ms)).filter(Number.isFinite);
    const lasts = rows.map((row) => Number(row.last_ms)).filter(Number.isFinite);
    return {
      byStatus,
      retried: rows.reduce((sum, row) => sum + row.retried, 0),
      ...(firsts.length ? { firstMatchedAt: Math.min(...firsts) } : {}),
      ...(lasts.length ? { lastMatchedAt: Math.max(...lasts) } : {}),
    };
  }

  /** The bodies the dispatcher built, in the order of `ids`: the ceiling sends exactly these. */
  async bodies(ids: string[]): Promise<Map<string, { subscriptionId: string; body: string }>> {
    const { rows } = await this.client.query<{ id: string; subscription_id: string; body: string }>(
      'SELECT id, subscription_id, body FROM deliveries WHERE id = ANY($1::text[])',
      [ids],
    );
    return new Map(rows.map((row) => [row.id, { subscriptionId: row.subscription_id, body: row.body }]));
  }

  async backendPids(applicationName: string): Promise<number[]> {
    const { rows } = await this.client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
      [applicationName],
    );
    return rows.map((row) => row.pid);
  }

  async serverVersion(): Promise<string> {
    const { rows } = await this.client.query<{ server_version: string }>('SHOW server_version');
    return rows[0]?.server_version ?? 'unknown';
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

export interface DeliveryOutcomes {
  byStatus: Record<string, number>;
  /** Deliveries that took more than one attempt. */
  retried: number;
  /** created_at of the first and last delivery row (epoch ms): when matching inserted them. */
  firstMatchedAt?: number;
  lastMatchedAt?: number;
}
