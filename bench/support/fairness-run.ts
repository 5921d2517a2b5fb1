import { createEventBus, type EventBus, type Subscription, type TransportName } from '@hub/bus';
import { loadConfig, PlatformConfig } from '@hub/config';
import { topicNames } from '@hub/contracts';
import { busSettings } from '@hub/runtime';
import type { DataSource } from 'typeorm';
import { collect, unique, type Collector } from '../../test/support/collector.js';
import type { AppName } from '../../test/support/app-process.js';
import { withClient } from '../../test/support/database.js';
import { createTenant, postJson, type Tenant } from '../../test/support/tenants.js';
import { openDatabase } from '../../test/support/transports.js';
import { FloodProcess, type FloodOutcome } from './fairness-flood.js';
import { Client, Endpoint, openLoop, ProjectsPerSource, type PhaseLoad } from './system-load.js';
import { RssSampler } from './system-probes.js';
import {
  latencies,
  refusals,
  sendOne,
  SOURCE_SECRET,
  stagesOf,
  type LatencyFigures,
  type StageFigures,
  type Wiring,
} from './system-run.js';
import { SystemUnderTest } from './system.js';
import { message, now } from './workload.js';

/** How a fairness run is shaped; the report prints these beside the figures. */
export interface FairnessSettings {
  /** Tenant B's steady open-loop rate, one event per request, in both phases. */
  quietRate: number;
  quietSeconds: number;
  /** Tenant A's flood: closed loop, this many requests in flight, each a batch of `floodBatch` events. */
  floodConcurrency: number;
  floodBatch: number;
  /** The flood ends after this long or this many requests, whichever comes first. */
  floodSeconds: number;
  floodMaxRequests: number;
  /** How long to wait after the flood for A's backlog (and B's last webhooks). */
  drainTimeoutSeconds: number;
  /** Tenant B's open loop: unanswered requests before further due ones are skipped. */
  maxInFlight: number;
}

/** Tenant B's figures over one phase: its requests, and their end-to-end latency. */
export interface PhaseFigures {
  offeredRate: number;
  seconds: number;
  /** Sent, skipped and refused over B's whole open loop (in the flood phase it may outlast A's flood)... */
  sent: number;
  skipped: number;
  refused: Record<string, number>;
  /** ...accepted and the latencies over the phase's own requests (sent while A flooded). */
  accepted: number;
  ingest: LatencyFigures;
  /**
   * Provider POST to receiver receipt. A webhook that never arrived counts as slower than any
   * that did, so a percentile that falls on one is absent rather than flattering.
   */
  e2e: LatencyFigures;
  delivered: number;
  undelivered: number;
  stages: StageFigures[];
}

export interface FloodFigures {
  seconds: number;
  stoppedBy: 'time' | 'count';
  requestsSent: number;
  requestsAccepted: number;
  refused: Record<string, number>;
  eventsAccepted: number;
  eventsAcceptedPerSecond: number;
  ingest: LatencyFigures;
  /** B's requests sent while A flooded (those sent after A's last answer are left out). */
  bRequestsDuringFlood: number;
}

export interface DrainFigures {
  /** A's accepted events not yet applied or dead-lettered when the flood ended. */
  backlogAtFloodEnd: number;
  /** Of A's accepted events: rows in the projects read model, and messages on the dead-letter topic. */
  applied: number;
  deadLettered: number;
  /** Accepted but neither applied nor dead-lettered by the end of the wait. */
  lost: number;
  /** Flood end (A's last answer) to the first reading with nothing of A's left; absent on timeout. */
  drainSeconds?: number;
  eventsPerSecond?: number;
}

export interface FairnessFigures {
  transport: TransportName;
  /** Which broker carried the bus: the Postgres log, a real Kafka, or the mock cluster. */
  broker: string;
  quiet?: PhaseFigures;
  flooded?: PhaseFigures;
  flood?: FloodFigures;
  drain?: DrainFigures;
  rssMaxMiB: Record<string, number>;
  problems: string[];
}

const RECEIVER_PATH = '/fairness';
const FLOOD_PREFIX = 'flood';
const POLL_MS = 1_000;
const QUIET_WAIT_MS = 30_000;

/**
 * One transport: the quiet phase (B alone), the flood (A as fast as its senders allow, B at the
 * same rate), then the wait for A's backlog. Tenant B is the system's own tenant, subscribed to
 * everything; tenant A has no subscription, so its flood loads ingest, the bus and the projector
 * (and the dispatcher's reading of state changes) but adds no outbound webhooks.
 */
export async function runFairness(
  transport: TransportName,
  settings: FairnessSettings,
  onSystem: (system: SystemUnderTest | undefined) => void,
): Promise<FairnessFigures> {
  const figures: FairnessFigures = {
    transport,
    broker: brokerOf(transport),
    rssMaxMiB: {},
    problems: [],
  };
  const system = new SystemUnderTest(transport);
  onSystem(system);
  const receiver = await Endpoint.start('receiver');
  const rss = new RssSampler();
  let wiring: Wiring | undefined;
  let flooder: FloodProcess | undefined;
  let deadLetters: DeadLetterWatch | undefined;
  try {
    log(transport, 'starting Postgres, the bus and the three apps');
    await system.start();
    const apps: AppName[] = ['ingest', 'projector', 'dispatcher'];
    rss.start(Object.fromEntries(apps.map((name) => [name, system.pid(name)])));
    const tenantA = await createTenant(system.busEnv, 'Flooding tenant');
    const sourceA = await pylonSource(system.urls.ingest, tenantA, 'Pylon flood');
    const sourceB = await pylonSource(system.urls.ingest, system.tenant, 'Pylon steady');
    await postJson(system.urls.dispatcher, system.tenant.api_key, '/v1/subscriptions', {
      endpoint: receiver.url(RECEIVER_PATH),
    });
    deadLetters = await DeadLetterWatch.start(system.busEnv, tenantA.tenant_id);
    wiring = {
      system,
      receiver,
      // B's own keep-alive agent: no other sender's requests ever queue on its connections.
      ingest: new Client(new URL(system.urls.ingest), settings.maxInFlight),
      sourceId: sourceB,
      spreadSourceIds: [],
      tenantIds: [system.tenant.tenant_id],
      projects: new ProjectsPerSource(`steady-${transport}`),
      accepted: new Map(),
    };
    flooder = await FloodProcess.start();

    log(transport, 'warm-up: B at 10 req/s for 5 s');
    const warmUp = await steady(wiring, settings, 10, 5);
    await delivered(wiring, warmUp.keys, now() + QUIET_WAIT_MS);

    log(transport, `quiet: B alone at ${settings.quietRate} req/s for ${settings.quietSeconds} s`);
    const quiet = await steady(wiring, settings, settings.quietRate, settings.quietSeconds);
    await delivered(wiring, quiet.keys, now() + QUIET_WAIT_MS);
    figures.quiet = await phaseFigures(wiring, settings.quietRate, quiet.load, quiet.keys);
    log(transport, describePhase('quiet', figures.quiet));

    log(
      transport,
      `flood: A with ${settings.floodConcurrency} in flight x ${settings.floodBatch} events for ` +
        `${settings.floodSeconds} s (at most ${settings.floodMaxRequests} requests), B at ${settings.quietRate} req/s`,
    );
    // A floods from a process of its own: B's requests, their timing and the receiver's reports
    // then share no event loop and no connection pool with A's 500-event bodies and answers.
    const [flood, during] = await Promise.all([
      flooder.run({
        ingestUrl: system.urls.ingest,
        sourceId: sourceA,
        secret: SOURCE_SECRET,
        batch: settings.floodBatch,
        prefix: FLOOD_PREFIX,
        concurrency: settings.floodConcurrency,
        seconds: settings.floodSeconds,
        maxRequests: settings.floodMaxRequests,
      }),
      steady(wiring, settings, settings.quietRate, settings.floodSeconds),
    ]);
    const floodEnd = flood.endedAt;
    const bKeys = during.keys.filter((key) => wiring!.accepted.get(key)!.sentAt < floodEnd);
    figures.flood = floodFigures(flood, settings, bKeys.length);
    log(
      transport,
      `flood: ${figures.flood.requestsAccepted} of ${figures.flood.requestsSent} requests accepted, ` +
        `${figures.flood.eventsAccepted} events (${figures.flood.eventsAcceptedPerSecond.toFixed(0)}/s) in ` +
        `${figures.flood.seconds.toFixed(1)} s; waiting up to ${settings.drainTimeoutSeconds} s for the backlog`,
    );

    const accepted = { requests: new Set(flood.accepted), batch: settings.floodBatch };
    figures.drain = await drain(system, tenantA, accepted, deadLetters, floodEnd, settings, figures.problems);
    // B's webhooks of the flood wait behind A's backlog: give them what is left of the same bound.
    await delivered(wiring, bKeys, floodEnd + settings.drainTimeoutSeconds * 1_000);
    const bLoad: PhaseLoad = { ...during.load, seconds: (floodEnd - during.startedAt) / 1_000 };
    figures.flooded = await phaseFigures(wiring, settings.quietRate, bLoad, bKeys);
    log(transport, describePhase('flooded', figures.flooded));
  } catch (error) {
    figures.problems.push(message(error));
    console.error(`[${transport}] ${message(error)}`);
    console.error(system.logs.slice(-30).join('\n'));
  } finally {
    rss.stop();
    Object.assign(figures.rssMaxMiB, rss.max);
    wiring?.ingest.close();
    await flooder?.stop();
    await deadLetters?.close().catch(() => undefined);
    await system.stop().catch((error: unknown) => figures.problems.push(`stop: ${message(error)}`));
    await receiver.stop();
    onSystem(undefined);
  }
  return figures;
}

function brokerOf(transport: TransportName): string {
  if (transport === 'postgres-log') return 'Postgres log (embedded Postgres)';
  const real = process.env['KAFKA_BROKERS'];
  return real ? `Kafka at ${real}` : 'librdkafka mock cluster (keeps only 5 MiB per partition)';
}

async function pylonSource(ingestUrl: string, tenant: Tenant, name: string): Promise<string> {
  const source = await postJson(ingestUrl, tenant.api_key, '/v1/sources', {
    provider: 'pylon-observer',
    name,
    secret: SOURCE_SECRET,
  });
  return source['id']!;
}

/** B's open loop: one project at its next version per request, as the system benchmark sends. */
async function steady(
  wiring: Wiring,
  settings: FairnessSettings,
  rate: number,
  seconds: number,
): Promise<{ load: PhaseLoad; keys: string[]; startedAt: number }> {
  const keys: string[] = [];
  const startedAt = now();
  const load = await openLoop({
    rate,
    seconds,
    maxInFlight: settings.maxInFlight,
    fire: () => sendOne(wiring, (key) => keys.push(key)),
  });
  return { load, keys, startedAt };
}

/** Waits until every one of `keys` reached the receiver, or `deadline` (epoch ms). */
async function delivered(wiring: Wiring, keys: string[], deadline: number): Promise<void> {
  const { received } = wiring.receiver;
  while (keys.some((key) => !received.has(key)) && now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function phaseFigures(
  wiring: Wiring,
  rate: number,
  load: PhaseLoad,
  keys: string[],
): Promise<PhaseFigures> {
  const { received } = wiring.receiver;
  const e2e = keys.map((key) => {
    const at = received.get(key);
    return at === undefined ? Infinity : at - wiring.accepted.get(key)!.sentAt;
  });
  const arrived = e2e.filter(Number.isFinite).length;
  return {
    offeredRate: rate,
    seconds: load.seconds,
    sent: load.sent,
    skipped: load.skipped,
    accepted: keys.length,
    refused: refusals(load),
    ingest: latencies(keys.map((key) => wiring.accepted.get(key)!).map((r) => r.answeredAt - r.sentAt)),
    e2e: finite(latencies(e2e)),
    delivered: arrived,
    undelivered: keys.length - arrived,
    stages: await stagesOf(wiring, keys),
  };
}

/** Drops percentiles that fell on a webhook that never came. */
function finite(figures: LatencyFigures): LatencyFigures {
  return Object.fromEntries(Object.entries(figures).filter(([, value]) => Number.isFinite(value)));
}

/** A's accepted requests (by number, as the flood numbered them) and the events each carried. */
interface AcceptedFlood {
  requests: Set<number>;
  batch: number;
}

function floodFigures(
  { load, accepted }: FloodOutcome,
  settings: FairnessSettings,
  bRequestsDuringFlood: number,
): FloodFigures {
  const eventsAccepted = accepted.length * settings.floodBatch;
  return {
    seconds: load.seconds,
    stoppedBy: load.sent >= settings.floodMaxRequests ? 'count' : 'time',
    requestsSent: load.sent,
    requestsAccepted: accepted.length,
    refused: refusals(load),
    eventsAccepted,
    eventsAcceptedPerSecond: eventsAccepted / load.seconds,
    ingest: latencies(load.answers.filter((a) => a.status === 200).map((a) => a.ms)),
    bRequestsDuringFlood,
  };
}

/**
 * Reads, every second, how many of A's events the projector applied (applied_events, the
 * projector's own record, on an index of tenant and event id) plus A's dead letters, until they
 * cover every accepted event or the bound passes; then counts exactly, by request, which
 * accepted events reached the read model.
 */
async function drain(
  system: SystemUnderTest,
  tenant: Tenant,
  flood: AcceptedFlood,
  deadLetters: DeadLetterWatch,
  floodEnd: number,
  settings: FairnessSettings,
  problems: string[],
): Promise<DrainFigures> {
  const target = flood.requests.size * flood.batch;
  const deadline = floodEnd + settings.drainTimeoutSeconds * 1_000;
  return withClient(system.databaseUrl, async (client) => {
    const appliedOfA = async () => {
      const { rows } = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM applied_events WHERE tenant_id = $1',
        [tenant.tenant_id],
      );
      return rows[0]?.n ?? 0;
    };
    let backlogAtFloodEnd: number | undefined;
    let drainedAt: number | undefined;
    for (;;) {
      const at = now();
      const done = (await appliedOfA()) + deadLetters.count;
      backlogAtFloodEnd ??= Math.max(0, target - done);
      if (done >= target) {
        drainedAt = at;
        break;
      }
      if (at > deadline) {
        problems.push(
          `A's backlog was not drained ${settings.drainTimeoutSeconds} s after the flood: ` +
            `${target - done} events still pending (counted as lost)`,
        );
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const { rows } = await client.query<{ request: number; n: number }>(
      `SELECT substring(id FROM '^pylon-observer:${FLOOD_PREFIX}-([0-9]+)-')::int AS request, count(*)::int AS n
         FROM projects WHERE tenant_id = $1 GROUP BY 1`,
      [tenant.tenant_id],
    );
    const applied = rows.reduce((sum, row) => sum + (flood.requests.has(row.request) ? row.n : 0), 0);
    const deadLettered = deadLetters.ofRequests(flood.requests);
    const drainSeconds = drainedAt === undefined ? undefined : Math.max(0, drainedAt - floodEnd) / 1_000;
    return {
      backlogAtFloodEnd: backlogAtFloodEnd ?? target,
      applied,
      deadLettered,
      lost: Math.max(0, target - applied - deadLettered),
      ...(drainSeconds === undefined ? {} : { drainSeconds }),
      ...(drainSeconds ? { eventsPerSecond: (backlogAtFloodEnd ?? target) / drainSeconds } : {}),
    };
  });
}

/**
 * The dead-letter topic read from the start with a group of its own (on either transport), kept
 * open for the whole run; A's dead letters are those keyed by A's tenant.
 */
class DeadLetterWatch {
  private constructor(
    private readonly tenantId: string,
    private readonly dataSource: DataSource,
    private readonly bus: EventBus,
    private readonly collector: Collector,
    private readonly subscription: Subscription,
  ) {}

  static async start(env: Record<string, string>, tenantId: string): Promise<DeadLetterWatch> {
    const config = loadConfig(PlatformConfig, env);
    const dataSource = await openDatabase(config.DATABASE_URL);
    const bus = createEventBus(busSettings(config, 'fairness-audit'), dataSource);
    const { collector, subscription } = await collect(bus, unique('fairness-audit'), [
      topicNames(config.TOPIC_PREFIX).deadLetters,
    ]);
    return new DeadLetterWatch(tenantId, dataSource, bus, collector, subscription);
  }

  /** A's dead letters so far. */
  get count(): number {
    return this.keys().length;
  }

  /** A's dead letters whose project came from one of `requests`. */
  ofRequests(requests: Set<number>): number {
    const pattern = new RegExp(`/pylon-observer:${FLOOD_PREFIX}-(\\d+)-`);
    return this.keys().filter((key) => requests.has(Number(pattern.exec(key)?.[1] ?? NaN))).length;
  }

  async close(): Promise<void> {
    await this.subscription.close();
    await this.bus.close();
    await this.dataSource.destroy();
  }

  private keys(): string[] {
    return this.collector.messages.map((m) => m.key).filter((key) => key.startsWith(`${this.tenantId}/`));
  }
}

export function describePhase(name: string, phase: PhaseFigures): string {
  const ms = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(0));
  return (
    `${name}: B ${phase.accepted} of ${phase.sent} accepted, ingest p99 ${ms(phase.ingest.p99Ms)} ms; ` +
    `e2e p50 ${ms(phase.e2e.p50Ms)} p95 ${ms(phase.e2e.p95Ms)} p99 ${ms(phase.e2e.p99Ms)} ms` +
    (phase.undelivered > 0 ? `; ${phase.undelivered} webhooks never arrived` : '')
  );
}

function log(transport: string, line: string): void {
  console.log(`  [${transport}] ${line}`);
}
