import { loadConfig, PlatformConfig } from '@hub/config';
import type { TransportName } from '@hub/bus';
import { appendsBetween, appendTotals, scrapeAppendTotals, type AppendFigures } from './append-metrics.js';
import { gcBetween, gcTotals, type GcFigures } from './gc-metrics.js';
import { roundsBetween, type RoundFigures } from './round-metrics.js';
import { checkpoint, measureRawKafka, measureRawPostgres } from './ceilings.js';
import {
  Client,
  closedLoop,
  Endpoint,
  openLoop,
  type EndpointMode,
  percentile,
  Projects,
  ProjectsPerSource,
  type Answer,
  type PhaseLoad,
} from './system-load.js';
import {
  childrenOf,
  cpuMs,
  localBrokerPid,
  machineCounters,
  machineProbeMs,
  postgresCpuMs,
  postgresSwitches,
  resetStatements,
  RssSampler,
  rowsWritten,
  stageTimes,
  switchesOf,
  topStatements,
  type MachineCounters,
  type StatementFigures,
  type Switches,
  whereUndelivered,
} from './system-probes.js';
import type { AppName } from '../../test/support/app-process.js';
import { unique } from '../../test/support/collector.js';
import { signPylon } from '../../test/support/provider-requests.js';
import { testSetting } from '../../test/support/test-env.js';
import { createTenant, postJson } from '../../test/support/tenants.js';
import { withClient } from '../../test/support/database.js';
import { scrapeIfUp, type Sample } from '../../test/support/prometheus.js';
import { STATEMENTS_LISTED, SystemUnderTest } from './system.js';
import { message, now, type Workload } from './workload.js';

/** How a run is shaped; every figure in the report says which of these produced it. */
export interface SystemSettings {
  rates: number[];
  stepSeconds: number;
  sustainedSeconds: number;
  /** The sustained run's rate (BENCH_RATE, else 500); without it, the highest bounded step's. */
  sustainedRate?: number;
  /** A step is bounded when its backlog is delivered within this long after its last answer... */
  drainMs: number;
  /** ...and its end-to-end p99 stays under this. */
  e2eP99BoundMs: number;
  /** Open loop: requests unanswered at once before further due ones are skipped. */
  maxInFlight: number;
  /** Closed loop (capacity runs): requests in flight. */
  capacityConcurrency: number;
  capacitySeconds: number;
  /**
   * The closed-loop HTTP ceilings (bare node:http, NestJS on Express and on Fastify) run this many
   * rounds of `capacitySeconds / ceilingRounds` each, taking turns, and each reports its best
   * round: a ceiling is the best the tool does, and on a shared machine one 10 s reading of each,
   * taken one after the other, could put NestJS above the bare server it runs on.
   */
  ceilingRounds: number;
  /**
   * Tenants the load is spread over, each with one Pylon source and one subscription to the
   * receiver: a tenant is held to its fair share (INGEST_TENANT_EVENT_RATE events/s,
   * INGEST_TENANT_CONCURRENCY requests at once), so a single tenant measures that, not the system.
   */
  tenants: number;
  /**
   * The raw Postgres and kafkajs ceilings' workload. Its batch size and in-flight count are
   * replaced by ingest's own (mean messages per append over its capacity run, one append in
   * flight) when ingest exposes hub_bus_append_messages.
   */
  rawWorkload: Workload;
}

export interface LatencyFigures {
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
}

export interface StepFigures {
  offeredRate: number;
  seconds: number;
  sent: number;
  skipped: number;
  accepted: number;
  refused: Record<string, number>;
  /** Accepted requests per second of sending. */
  achievedRate: number;
  ingest: LatencyFigures;
  /** Provider's POST to the receiver's receipt, over the step's accepted requests that arrived. */
  e2e: LatencyFigures;
  delivered: number;
  undelivered: number;
  /** Last answer to last receipt of the step's webhooks; undefined when some never came. */
  drainMs?: number;
  /** Where the webhooks that never came stopped, counted by place (whereUndelivered). */
  undeliveredAt?: Record<string, number>;
  bounded: boolean;
  why?: string;
  /**
   * How busy the machine's cores were while the step's load was sent, in % of all their time
   * (machineCounters); undefined where /proc/stat cannot be read.
   */
  coresBusyPercent?: number;
  /** The step was unbounded at the first try and run again; these are the second try's figures. */
  retried?: boolean;
}

export interface StageFigures {
  stage: string;
  p50Ms?: number;
  p99Ms?: number;
}

export interface CapacityFigures {
  concurrency: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms?: number;
  p99Ms?: number;
  failed: number;
  /** Ingest's group-committed appends over the run (ingest's runs only, when it has the metrics). */
  ingestAppends?: AppendFigures;
  /** A ceiling measured in rounds: each round's requests per second, in the order run. */
  roundsPerSecond?: number[];
}

export type SustainedFigures = StepFigures & {
  rssMaxMiB: Record<string, number>;
  /**
   * CPU time (user + system) per accepted request over the run, in ms, per process on this
   * machine: each app, Postgres (server and backends), the receiver and the bench's own client.
   * Their sum is what one request costs the machine. A Kafka broker is counted when it runs on
   * this machine (localBrokerPid).
   */
  cpuMsPerRequest?: Record<string, number>;
  /** The same processes' context switches per accepted request (Postgres's all together). */
  switchesPerRequest?: Record<string, Switches>;
  /** The whole machine's context switches per accepted request, every process counted. */
  contextSwitchesPerRequest?: number;
  /** Each app's garbage-collection pauses over the run, from its /metrics (gc-metrics.ts). */
  gc?: Record<string, GcFigures>;
  /** Each consumer group's rounds over the run and their messages, from its app's /metrics. */
  rounds?: Record<string, RoundFigures>;
  /** With BENCH_PG_STATEMENTS=1: the statements that took Postgres's time, per accepted request. */
  statements?: StatementFigures[];
  /** Ingest's group-committed appends over the run, from its /metrics; undefined when it has no such metrics. */
  ingestAppends?: AppendFigures;
  rowsWrittenPerSecond?: number;
  /** Rows written and transactions committed in the database per accepted request. */
  rowsPerRequest?: number;
  commitsPerRequest?: number;
  stages: StageFigures[];
  slowestStage?: string;
};

/** A raw ceiling of the bus's durable work, and the workload shape it was measured with. */
export interface RawCeiling {
  /** Rows (Postgres) or messages (kafkajs) per second. */
  perSecond: number;
  batchSize: number;
  inFlight: number;
  /** Whether the shape is ingest's own (its mean messages per append) or the fallback workload. */
  shapedByIngest: boolean;
  problem?: string;
}

export interface TransportFigures {
  transport: TransportName;
  /** Where the bus ran: the Postgres log's database, or the Kafka broker (mock or real, and its address). */
  broker: string;
  steps: StepFigures[];
  highestBoundedRate?: number;
  sustained?: SustainedFigures;
  /** Closed loop over every tenant's source in turn: ingest's own limit. */
  ingestCapacity?: CapacityFigures & { sources: number };
  /** The same closed loop on one tenant's one source: that tenant's fair share, not ingest's limit. */
  ingestCapacityOneTenant?: CapacityFigures;
  ceilings: {
    bareHttpAtRate?: StepFigures;
    bareHttpCapacity?: CapacityFigures;
    /** A minimal NestJS app on Express (the apps' platform before ADR 0014), same client and bodies. */
    nestExpressCapacity?: CapacityFigures;
    /** The same app on @nestjs/platform-fastify, the apps' platform. */
    nestFastifyCapacity?: CapacityFigures;
    rawPostgres?: RawCeiling;
    rawKafka?: RawCeiling;
  };
  problems: string[];
  /** The machine's speed before and after this transport's run (machineProbeMs): lower is faster. */
  machineProbeMs?: { before?: number; after?: number };
}

/** The apps whose processes, metrics and memory the sustained run reads. */
const MEASURED_APPS: readonly AppName[] = ['ingest', 'projector', 'dispatcher'];

export const SOURCE_SECRET = 'pylon-bench-secret-of-20+-chars';
const RECEIVER_PATH = '/bench';

/** Everything one transport's run needs while it sends. */
export interface Wiring {
  system: SystemUnderTest;
  receiver: Endpoint;
  ingest: Client;
  /** The first tenant's source. */
  sourceId: string;
  /** One source of each further tenant: the load takes every source in turn. */
  spreadSourceIds: string[];
  /** Every tenant the load is spread over (for the stage times). */
  tenantIds: string[];
  projects: ProjectsPerSource;
  /** Accepted requests, by webhook key: when the POST started and when it was answered. */
  accepted: Map<string, { sentAt: number; answeredAt: number }>;
}

export async function runTransport(
  transport: TransportName,
  settings: SystemSettings,
  onSystem: (system: SystemUnderTest | undefined) => void,
): Promise<TransportFigures> {
  const figures: TransportFigures = { transport, broker: '', steps: [], ceilings: {}, problems: [] };
  figures.machineProbeMs = { before: await machineProbeMs() };
  const system = new SystemUnderTest(transport, isolation(transport));
  onSystem(system);
  const receiver = await Endpoint.start('receiver');
  let wiring: Wiring | undefined;
  try {
    log(transport, 'starting Postgres, the bus and the three apps');
    await system.start();
    figures.broker = brokerOf(system);
    log(transport, `bus: ${figures.broker}`);
    wiring = await wire(system, receiver, settings);
    await warmUp(wiring, settings);
    await searchRate(wiring, settings, figures);
    if (!(await backlogCleared(wiring, 120_000))) {
      figures.problems.push(
        'the backlog of the last step had not cleared 120 s after it; sustained run started anyway',
      );
    }

    const rate = sustainedRateOf(settings, figures);
    figures.sustained = await sustainedRun(wiring, settings, rate);

    // Ingest alone: the projector and dispatcher stopped, so it has the machine to itself.
    await system.stopApp('projector');
    await system.stopApp('dispatcher');
    const sources = [wiring.sourceId, ...wiring.spreadSourceIds];
    log(
      transport,
      `ingest capacity: closed loop, ${settings.capacityConcurrency} in flight over ${sources.length} tenants`,
    );
    figures.ingestCapacity = {
      ...(await ingestCapacity(wiring, settings, sources)),
      sources: sources.length,
    };
    log(transport, 'ingest capacity of one tenant (its fair share)');
    figures.ingestCapacityOneTenant = await ingestCapacity(wiring, settings);
    await system.stopApp('ingest');

    log(
      transport,
      'ceilings: bare node:http, NestJS on Express and on Fastify, raw inserts' +
        (transport === 'kafka' ? ', raw kafkajs' : ''),
    );
    // Shaped as ingest's appends at capacity, its largest: a raw batch of the sustained run's
    // smaller appends would be a ceiling ingest's capacity run passes (above 100 %: a wrong ceiling).
    const shape = figures.ingestCapacity.ingestAppends ?? figures.sustained.ingestAppends;
    figures.ceilings = await ceilings(system, settings, rate, shape);
    log(transport, `HTTP ceilings, req/s per round: ${describeRounds(figures.ceilings)}`);
  } catch (error) {
    figures.problems.push(message(error));
    console.error(`[${transport}] ${message(error)}`);
    console.error(system.logs.slice(-30).join('\n'));
  } finally {
    wiring?.ingest.close();
    await system.stop().catch((error: unknown) => figures.problems.push(`stop: ${message(error)}`));
    await receiver.stop();
    onSystem(undefined);
  }
  figures.machineProbeMs.after = await machineProbeMs();
  return figures;
}

/**
 * The run's tenants (settings.tenants, the system's own first), each with a Pylon source and the
 * receiver subscribed to everything.
 */
export async function wire(
  system: SystemUnderTest,
  receiver: Endpoint,
  settings: SystemSettings,
): Promise<Wiring> {
  const tenants = [system.tenant];
  for (let i = 1; i < settings.tenants; i++)
    tenants.push(await createTenant(system.busEnv, `Benchmark tenant ${i}`));
  const sourceIds: string[] = [];
  for (const [i, tenant] of tenants.entries()) {
    const source = await postJson(system.urls.ingest, tenant.api_key, '/v1/sources', {
      provider: 'pylon-observer',
      name: `Pylon benchmark ${i}`,
      secret: SOURCE_SECRET,
    });
    await postJson(system.urls.dispatcher, tenant.api_key, '/v1/subscriptions', {
      endpoint: receiver.url(RECEIVER_PATH),
    });
    sourceIds.push(source['id']!);
  }
  return {
    system,
    receiver,
    ingest: new Client(new URL(system.urls.ingest), settings.maxInFlight),
    sourceId: sourceIds[0]!,
    spreadSourceIds: sourceIds.slice(1),
    tenantIds: tenants.map((tenant) => tenant.tenant_id),
    projects: new ProjectsPerSource(`bench-${system.transport}`),
    accepted: new Map(),
  };
}

/**
 * 10 req/s for 5 s, then until its webhooks arrived: the apps' code is compiled and their pools
 * open. Then the database is analysed, as autovacuum has long done on a running installation:
 * a fresh database plans every statement as if its tables were empty, which hides plans that a
 * real one gets (a scan where an empty table made an index look as good) and shows ones it never
 * gets.
 */
export async function warmUp(wiring: Wiring, settings: SystemSettings): Promise<void> {
  log(wiring.system.transport, 'warm-up: 10 req/s for 5 s, then ANALYZE');
  await step(wiring, settings, 10, 5, 30_000);
  await backlogCleared(wiring, 30_000);
  await withClient(wiring.system.databaseUrl, (client) => client.query('ANALYZE'));
}

/** The rate steps, each unbounded one tried twice; stops at the first step unbounded twice. */
export async function searchRate(
  wiring: Wiring,
  settings: SystemSettings,
  figures: TransportFigures,
): Promise<void> {
  const { transport } = figures;
  for (const rate of settings.rates) {
    let { figures: stepFigures } = await step(wiring, settings, rate, settings.stepSeconds, settings.drainMs);
    if (!stepFigures.bounded) {
      // The machine is shared: one noisy step must not end the search. The second try counts.
      log(transport, `${describeStep(stepFigures)}; trying once more`);
      await backlogCleared(wiring, 60_000);
      ({ figures: stepFigures } = await step(wiring, settings, rate, settings.stepSeconds, settings.drainMs));
      stepFigures.retried = true;
    }
    figures.steps.push(stepFigures);
    log(transport, describeStep(stepFigures));
    if (!stepFigures.bounded) break;
    figures.highestBoundedRate = rate;
  }
}

/** BENCH_RATE, else the highest bounded step, else the first step. */
export function sustainedRateOf(
  settings: SystemSettings,
  figures: Pick<TransportFigures, 'highestBoundedRate'>,
): number {
  return settings.sustainedRate ?? figures.highestBoundedRate ?? settings.rates[0]!;
}

/** The sustained run: its step figures, each app's max RSS, rows written per second, and the stages. */
export async function sustainedRun(
  wiring: Wiring,
  settings: SystemSettings,
  rate: number,
): Promise<SustainedFigures> {
  const { system } = wiring;
  log(system.transport, `sustained: ${rate} req/s for ${settings.sustainedSeconds} s`);
  const rss = new RssSampler();
  rss.start(Object.fromEntries(MEASURED_APPS.map((name) => [name, system.pid(name)])));
  const rowsBefore = await rowsWritten(system.databaseUrl);
  if (STATEMENTS_LISTED > 0) await resetStatements(system.databaseUrl);
  const metricsBefore = await scrapeApps(wiring);
  const broker = await localBrokerPid(system.busEnv['KAFKA_BROKERS'] ?? '');
  const processesBefore = await processCounters(wiring, broker);
  const machineBefore = await machineCounters();
  const startedAt = now();
  const sustained = await step(wiring, settings, rate, settings.sustainedSeconds, 30_000);
  const machineAfter = await machineCounters();
  const processesAfter = await processCounters(wiring, broker);
  const { accepted } = sustained.figures;
  const metricsAfter = await scrapeApps(wiring);
  const gc = gcOver(metricsBefore, metricsAfter, accepted, (now() - startedAt) / 1_000);
  const statements =
    STATEMENTS_LISTED > 0
      ? await topStatements(system.databaseUrl, Math.max(1, accepted), STATEMENTS_LISTED)
      : undefined;
  const appends = appendsBetween(
    metricsBefore.ingest && appendTotals(metricsBefore.ingest),
    metricsAfter.ingest && appendTotals(metricsAfter.ingest),
  );
  const rowsAfter = await rowsWritten(system.databaseUrl);
  const sustainedMs = now() - startedAt;
  rss.stop();
  const stages = await stagesOf(wiring, sustained.keys);
  const slowest = [...stages].sort((a, b) => (b.p50Ms ?? 0) - (a.p50Ms ?? 0))[0];
  log(system.transport, describeStep(sustained.figures));
  return {
    ...sustained.figures,
    rssMaxMiB: rss.max,
    cpuMsPerRequest: perRequest(processesBefore.cpu, processesAfter.cpu, accepted),
    switchesPerRequest: switchesPerRequest(processesBefore.switches, processesAfter.switches, accepted),
    ...(machineBefore && machineAfter && accepted > 0
      ? {
          contextSwitchesPerRequest:
            (machineAfter.contextSwitches - machineBefore.contextSwitches) / accepted,
        }
      : {}),
    gc,
    rounds: Object.fromEntries(
      MEASURED_APPS.flatMap((app) => Object.entries(roundsBetween(metricsBefore[app], metricsAfter[app]))),
    ),
    ...(statements ? { statements } : {}),
    ...(appends ? { ingestAppends: appends } : {}),
    rowsWrittenPerSecond: ((rowsAfter.rows - rowsBefore.rows) / sustainedMs) * 1_000,
    rowsPerRequest: (rowsAfter.rows - rowsBefore.rows) / Math.max(1, accepted),
    commitsPerRequest: (rowsAfter.commits - rowsBefore.commits) / Math.max(1, accepted),
    stages,
    ...(slowest ? { slowestStage: slowest.stage } : {}),
  };
}

/** The CPU line's entry for a Kafka broker on this machine (the mock cluster or a real broker). */
export const BROKER_CPU = 'kafka broker';

/**
 * CPU time so far (in ms) and context switches (by process id) of every process the sustained run
 * loads on this machine, by the same names: each app, Postgres (its CPU by kind of process, its
 * switches together), the receiver, a local Kafka broker, and the bench's own client.
 */
async function processCounters(
  { system, receiver }: Wiring,
  broker: number | undefined,
): Promise<{ cpu: Record<string, number>; switches: Record<string, Map<number, Switches>> }> {
  const cpu: Record<string, number> = {};
  const switches: Record<string, Map<number, Switches>> = {};
  const read = async (name: string, pid: number) => {
    cpu[name] = await cpuMs(pid);
    switches[name] = new Map([[pid, await switchesOf(pid)]]);
  };
  for (const app of MEASURED_APPS) await read(app, system.pid(app));
  const postgres = system.postgresPid();
  if (postgres !== undefined) {
    const children = await childrenOf(postgres);
    const parts = await postgresCpuMs(postgres, children, system.databaseUrl);
    for (const [kind, ms] of Object.entries(parts)) cpu[`postgres ${kind}`] = ms;
    switches['postgres'] = await postgresSwitches(postgres, children);
  }
  await read('receiver', receiver.pid);
  if (broker !== undefined) await read(BROKER_CPU, broker);
  switches['bench client'] = new Map([[process.pid, await switchesOf(process.pid)]]);
  const own = process.cpuUsage();
  cpu['bench client'] = (own.user + own.system) / 1_000;
  return { cpu, switches };
}

/**
 * Each name's switches between two reads, per accepted request. A process counts from zero when it
 * started between them (a Postgres backend a pool opened); one that exited meanwhile is not counted.
 */
export function switchesPerRequest(
  before: Record<string, Map<number, Switches>>,
  after: Record<string, Map<number, Switches>>,
  requests: number,
): Record<string, Switches> {
  if (requests <= 0) return {};
  return Object.fromEntries(
    Object.entries(after).map(([name, pids]) => {
      const total = { voluntary: 0, involuntary: 0 };
      for (const [pid, later] of pids) {
        const earlier = before[name]?.get(pid);
        total.voluntary += later.voluntary - (earlier?.voluntary ?? 0);
        total.involuntary += later.involuntary - (earlier?.involuntary ?? 0);
      }
      return [name, { voluntary: total.voluntary / requests, involuntary: total.involuntary / requests }];
    }),
  );
}

/** Of all the cores' time between two reads, the share they were busy, in %. */
export function busyPercentBetween(before: MachineCounters, after: MachineCounters): number | undefined {
  const all = after.allTicks - before.allTicks;
  return all > 0 ? ((after.busyTicks - before.busyTicks) / all) * 100 : undefined;
}

/**
 * Each app's /metrics, one scrape each (every scrape runs the apps' scrape-time queries), for the
 * figures read from them: ingest's appends and every app's garbage collection.
 */
async function scrapeApps({ system }: Wiring): Promise<Record<AppName, Sample[] | undefined>> {
  const scraped = {} as Record<AppName, Sample[] | undefined>;
  for (const app of MEASURED_APPS) scraped[app] = await scrapeIfUp(system.urls[app]);
  return scraped;
}

function gcOver(
  before: Record<AppName, Sample[] | undefined>,
  after: Record<AppName, Sample[] | undefined>,
  requests: number,
  seconds: number,
): Record<string, GcFigures> {
  const totalsOf = (samples: Sample[] | undefined) => samples && gcTotals(samples);
  return Object.fromEntries(
    (Object.keys(after) as AppName[]).flatMap((app) => {
      const figures = gcBetween(totalsOf(before[app]), totalsOf(after[app]), requests, seconds);
      return figures ? [[app, figures] as const] : [];
    }),
  );
}

function perRequest(
  before: Record<string, number>,
  after: Record<string, number>,
  requests: number,
): Record<string, number> {
  if (requests <= 0) return {};
  return Object.fromEntries(
    Object.entries(after).map(([name, ms]) => [name, (ms - (before[name] ?? 0)) / requests]),
  );
}

/** Ingest's closed-loop capacity, its requests taking the given sources in turn. */
export async function ingestCapacity(
  wiring: Wiring,
  settings: SystemSettings,
  sources = [wiring.sourceId],
): Promise<CapacityFigures> {
  let turn = 0;
  const before = await scrapeAppendTotals(wiring.system.urls.ingest);
  const figures = await capacity(settings, () =>
    sendOne(wiring, () => undefined, sources[turn++ % sources.length]!),
  );
  const appends = appendsBetween(before, await scrapeAppendTotals(wiring.system.urls.ingest));
  return { ...figures, ...(appends ? { ingestAppends: appends } : {}) };
}

let nextSource = 0;

/** One signed request to ingest (by default to every tenant's source in turn); an accepted one is recorded under its webhook's key. */
export async function sendOne(
  wiring: Wiring,
  onAccepted: (key: string) => void,
  sourceId = loadSource(wiring),
): Promise<Answer> {
  const projects = wiring.projects.of(sourceId);
  const job = projects.next();
  const request = signPylon(SOURCE_SECRET, job.body);
  const sentAt = now();
  const answer = await wiring.ingest.post(`/v1/ingest/${sourceId}`, request.headers, request.body);
  if (answer.status === 200) {
    wiring.accepted.set(job.key, { sentAt, answeredAt: sentAt + answer.ms });
    onAccepted(job.key);
  }
  projects.release(job.uid, answer.status === 200);
  return answer;
}

/** Open loop at `rate` for `seconds`, then up to `drainMs` for the step's webhooks. */
async function step(
  wiring: Wiring,
  settings: SystemSettings,
  rate: number,
  seconds: number,
  drainMs: number,
): Promise<{ figures: StepFigures; keys: string[] }> {
  const keys: string[] = [];
  const machineBefore = await machineCounters();
  const load = await openLoop({
    rate,
    seconds,
    maxInFlight: settings.maxInFlight,
    fire: () => sendOne(wiring, (key) => keys.push(key)),
  });
  const machineAfter = await machineCounters();
  const coresBusyPercent = machineBefore && machineAfter && busyPercentBetween(machineBefore, machineAfter);
  const answeredAt = now();
  const { received } = wiring.receiver;
  while (keys.some((key) => !received.has(key)) && now() < answeredAt + drainMs) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const e2e: number[] = [];
  let lastReceipt = 0;
  for (const key of keys) {
    const at = received.get(key);
    if (at === undefined) continue;
    e2e.push(at - wiring.accepted.get(key)!.sentAt);
    lastReceipt = Math.max(lastReceipt, at);
  }
  const undelivered = keys.length - e2e.length;
  const figures: StepFigures = {
    offeredRate: rate,
    seconds: load.seconds,
    sent: load.sent,
    skipped: load.skipped,
    accepted: keys.length,
    refused: refusals(load),
    achievedRate: keys.length / load.seconds,
    ingest: latencies(load.answers.filter((a) => a.status === 200).map((a) => a.ms)),
    e2e: latencies(e2e),
    delivered: e2e.length,
    undelivered,
    ...(undelivered === 0
      ? { drainMs: Math.max(0, lastReceipt - answeredAt) }
      : {
          undeliveredAt: await whereUndelivered(
            wiring.system.databaseUrl,
            wiring.tenantIds,
            keys.filter((key) => !received.has(key)),
          ),
        }),
    bounded: true,
    ...(coresBusyPercent ? { coresBusyPercent } : {}),
  };
  const why = [
    figures.accepted < 0.95 * load.offered
      ? `accepted ${figures.accepted} of ${load.offered} offered (${load.skipped} skipped at the in-flight cap)`
      : '',
    undelivered > 0
      ? `${undelivered} webhooks not delivered ${drainMs / 1000} s after the step (${placesOf(figures.undeliveredAt)})`
      : '',
    (figures.e2e.p99Ms ?? Infinity) > settings.e2eP99BoundMs
      ? `e2e p99 over ${settings.e2eP99BoundMs} ms`
      : '',
  ].filter(Boolean);
  if (why.length > 0) {
    figures.bounded = false;
    figures.why = why.join('; ');
  }
  return { figures, keys };
}

function placesOf(places: Record<string, number> | undefined): string {
  return Object.entries(places ?? {})
    .map(([place, count]) => `${count} ${place}`)
    .join(', ');
}

/** Waits until every accepted request's webhook arrived. */
export async function backlogCleared(wiring: Wiring, timeoutMs: number): Promise<boolean> {
  const deadline = now() + timeoutMs;
  const { received } = wiring.receiver;
  for (;;) {
    if ([...wiring.accepted.keys()].every((key) => received.has(key))) return true;
    if (now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function loadSource(wiring: Wiring): string {
  const sources = [wiring.sourceId, ...wiring.spreadSourceIds];
  return sources[nextSource++ % sources.length]!;
}

/** Where a run's time went, stage by stage, from the apps' own tables (the wiring's tenants). */
export async function stagesOf(wiring: Wiring, keys: string[]): Promise<StageFigures[]> {
  const times = await stageTimes(wiring.system.databaseUrl, wiring.tenantIds);
  const gaps: Record<string, number[]> = {
    'ingest: POST to 200 (verify, map, 1 publish)': [],
    'bus to projector: 200 to apply transaction start': [],
    'projector apply + bus to dispatcher: apply start to delivery row': [],
    'dispatcher queue: delivery row to first attempt': [],
    'outbound HTTP: first attempt to receipt': [],
  };
  const [ingest, toProjector, toDispatcher, queue, outbound] = Object.values(gaps) as [
    number[],
    number[],
    number[],
    number[],
    number[],
  ];
  for (const key of keys) {
    const sent = wiring.accepted.get(key);
    const stage = times.get(key);
    const receivedAt = wiring.receiver.received.get(key);
    if (!sent || !stage || stage.attempted === undefined || receivedAt === undefined) continue;
    ingest.push(sent.answeredAt - sent.sentAt);
    toProjector.push(stage.applied - sent.answeredAt);
    toDispatcher.push(stage.matched - stage.applied);
    queue.push(stage.attempted - stage.matched);
    outbound.push(receivedAt - stage.attempted);
  }
  return Object.entries(gaps).map(([stage, values]) => {
    const { p50Ms, p99Ms } = latencies(values);
    return { stage, ...(p50Ms === undefined ? {} : { p50Ms }), ...(p99Ms === undefined ? {} : { p99Ms }) };
  });
}

async function capacity(settings: SystemSettings, fire: () => Promise<Answer>): Promise<CapacityFigures> {
  const load = await closedLoop({
    concurrency: settings.capacityConcurrency,
    seconds: settings.capacitySeconds,
    fire,
  });
  const ok = load.answers.filter((a) => a.status === 200);
  const { p50Ms, p99Ms } = latencies(ok.map((a) => a.ms));
  return {
    concurrency: settings.capacityConcurrency,
    seconds: load.seconds,
    requestsPerSecond: ok.length / load.seconds,
    ...(p50Ms === undefined ? {} : { p50Ms }),
    ...(p99Ms === undefined ? {} : { p99Ms }),
    failed: load.answers.length - ok.length,
  };
}

/**
 * On a real broker (KAFKA_BROKERS), which outlives the run and may be shared: topics and consumer
 * groups of this run's own, so no earlier run's messages or committed offsets reach its apps.
 * The mock cluster and the Postgres log start empty with every run.
 */
function isolation(transport: TransportName): Record<string, string> {
  if (transport !== 'kafka' || !testSetting('KAFKA_BROKERS')) return {};
  const run = unique('bench');
  return {
    TOPIC_PREFIX: run,
    PROJECTOR_GROUP_ID: `${run}-projector`,
    DISPATCHER_GROUP_ID: `${run}-dispatcher`,
  };
}

/** The Postgres log's database server, or the Kafka broker: the librdkafka mock cluster or a real one (KAFKA_BROKERS). */
function brokerOf(system: SystemUnderTest): string {
  if (system.transport !== 'kafka') {
    const url = new URL(system.databaseUrl);
    return `Postgres log on embedded Postgres at ${url.hostname}:${url.port}`;
  }
  const address = system.busEnv['KAFKA_BROKERS'] ?? '?';
  return system.canPauseBroker
    ? `mock broker (librdkafka mock cluster) at ${address}`
    : `real broker at ${address}`;
}

/**
 * The same run's ceilings, with the apps stopped: bare node:http, a minimal NestJS app on Express
 * and on Fastify, raw inserts, raw kafkajs. The raw ones do the same durable work the way the
 * bus does it: ingest's mean messages per append as the batch, one batch in flight.
 */
async function ceilings(
  system: SystemUnderTest,
  settings: SystemSettings,
  rate: number,
  appends: AppendFigures | undefined,
): Promise<TransportFigures['ceilings']> {
  const result: TransportFigures['ceilings'] = {};
  const started = await Promise.all(HTTP_CEILINGS.map((mode) => startCeiling(mode, settings)));
  const servers = started.filter((server): server is StartedCeiling => server !== undefined);
  try {
    const bare = servers.find(({ mode }) => mode === 'bare');
    if (bare) result.bareHttpAtRate = await atRate(bare.fire, rate, settings);
    const rounds = await capacityRounds(servers, settings);
    result.bareHttpCapacity = rounds.get('bare');
    result.nestExpressCapacity = rounds.get('nest-express');
    result.nestFastifyCapacity = rounds.get('nest-fastify');
  } finally {
    await Promise.all(servers.map(({ stop }) => stop()));
  }

  const workload = rawWorkloadOf(settings.rawWorkload, appends);
  const shape = {
    batchSize: workload.batchSize,
    inFlight: workload.inFlight,
    shapedByIngest: workload !== settings.rawWorkload,
  };
  await checkpoint(system.databaseUrl);
  try {
    const raw = await measureRawPostgres(system.databaseUrl, workload, 60_000);
    result.rawPostgres = {
      perSecond: raw.messages / raw.seconds,
      ...shape,
      ...(raw.problem ? { problem: raw.problem } : {}),
    };
  } catch (error) {
    result.rawPostgres = { perSecond: Number.NaN, ...shape, problem: message(error) };
  }
  if (system.transport === 'kafka') {
    try {
      const raw = await measureRawKafka(loadConfig(PlatformConfig, system.busEnv), workload, 60_000);
      result.rawKafka = {
        perSecond: raw.messages / raw.seconds,
        ...shape,
        ...(raw.problem ? { problem: raw.problem } : {}),
      };
    } catch (error) {
      result.rawKafka = { perSecond: Number.NaN, ...shape, problem: message(error) };
    }
  }
  return result;
}

/** The HTTP servers the ingest figures stand beside, each in a process of its own. */
const HTTP_CEILINGS: EndpointMode[] = ['bare', 'nest-express', 'nest-fastify'];

/** A ceiling's open loop at the sustained run's rate: the latency ingest's is compared with. */
async function atRate(
  fire: () => Promise<Answer>,
  rate: number,
  settings: SystemSettings,
): Promise<StepFigures> {
  const load = await openLoop({
    rate,
    seconds: settings.capacitySeconds,
    maxInFlight: settings.maxInFlight,
    fire,
  });
  const accepted = load.answers.filter((a) => a.status === 200);
  return {
    offeredRate: rate,
    seconds: load.seconds,
    sent: load.sent,
    skipped: load.skipped,
    accepted: accepted.length,
    refused: refusals(load),
    achievedRate: accepted.length / load.seconds,
    ingest: latencies(accepted.map((a) => a.ms)),
    e2e: {},
    delivered: 0,
    undelivered: 0,
    bounded: true,
  };
}

/**
 * The closed-loop ceilings in `settings.ceilingRounds` rounds, the servers taking turns within each
 * round (all of them up at once, idle while another is measured), each reported as its best round
 * with every round's rate beside it.
 */
async function capacityRounds(
  servers: StartedCeiling[],
  settings: SystemSettings,
): Promise<Map<EndpointMode, CapacityFigures>> {
  const roundSettings = { ...settings, capacitySeconds: settings.capacitySeconds / settings.ceilingRounds };
  const measured = new Map<EndpointMode, CapacityFigures[]>(servers.map(({ mode }) => [mode, []]));
  for (let round = 0; round < settings.ceilingRounds; round++) {
    for (const { mode, fire } of servers) measured.get(mode)?.push(await capacity(roundSettings, fire));
  }
  return new Map([...measured].map(([mode, rounds]) => [mode, bestRound(rounds)]));
}

/** Each closed-loop HTTP ceiling's rate in every round, for the log. */
function describeRounds(figures: TransportFigures['ceilings']): string {
  const servers: Array<[string, CapacityFigures | undefined]> = [
    ['bare node:http', figures.bareHttpCapacity],
    ['NestJS on Express', figures.nestExpressCapacity],
    ['NestJS on Fastify', figures.nestFastifyCapacity],
  ];
  return servers
    .map(
      ([name, ceiling]) =>
        `${name} ${(ceiling?.roundsPerSecond ?? []).map((r) => r.toFixed(0)).join(' / ') || 'n/a'}`,
    )
    .join('; ');
}

/** The best of a ceiling's rounds (most requests per second), carrying every round's rate. */
export function bestRound(rounds: CapacityFigures[]): CapacityFigures {
  const [first, ...rest] = rounds;
  if (!first) throw new Error('a ceiling needs at least one round');
  const best = rest.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a), first);
  return { ...best, roundsPerSecond: rounds.map((round) => round.requestsPerSecond) };
}

interface StartedCeiling {
  mode: EndpointMode;
  fire: () => Promise<Answer>;
  stop: () => Promise<void>;
}

/** An HTTP ceiling's server in its own process and its client; undefined (and a line on stderr) when it would not start. */
async function startCeiling(
  mode: EndpointMode,
  settings: SystemSettings,
): Promise<StartedCeiling | undefined> {
  let server: Endpoint;
  try {
    server = await Endpoint.start(mode);
  } catch (error) {
    console.error(`  ${mode}: ${message(error)}`);
    return undefined;
  }
  const client = new Client(new URL(server.url('')), settings.maxInFlight);
  const projects = new Projects(mode);
  const fire = () => {
    const job = projects.next();
    const request = signPylon(SOURCE_SECRET, job.body);
    return client
      .post('/v1/ingest/ceiling', request.headers, request.body)
      .finally(() => projects.release(job.uid));
  };
  const stop = async () => {
    client.close();
    await server.stop();
  };
  return { mode, fire, stop };
}

/**
 * The raw ceilings' workload shaped as ingest's appends were: its mean messages per append
 * (rounded, at least 1) per batch, one batch in flight (the group commit keeps one append in
 * flight per process). Without the metrics, the settings' workload as it is.
 */
export function rawWorkloadOf(workload: Workload, appends: AppendFigures | undefined): Workload {
  if (appends?.meanMessages === undefined) return workload;
  const batchSize = Math.max(1, Math.round(appends.meanMessages));
  return {
    ...workload,
    batchSize,
    inFlight: 1,
    maxUnconsumed: Math.max(workload.maxUnconsumed, 2 * batchSize),
  };
}

export function refusals(load: PhaseLoad): Record<string, number> {
  const refused: Record<string, number> = {};
  for (const answer of load.answers) {
    if (answer.status === 200) continue;
    const key = answer.status === 0 ? `no answer (${answer.failure ?? 'unknown'})` : String(answer.status);
    refused[key] = (refused[key] ?? 0) + 1;
  }
  return refused;
}

export function latencies(values: number[]): LatencyFigures {
  if (values.length === 0) return {};
  return { p50Ms: percentile(values, 50)!, p95Ms: percentile(values, 95)!, p99Ms: percentile(values, 99)! };
}

export function describeStep(step: StepFigures): string {
  const ms = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(0));
  return (
    `${step.offeredRate} req/s offered, ${step.achievedRate.toFixed(1)} accepted/s; ingest p50 ${ms(step.ingest.p50Ms)} ` +
    `p99 ${ms(step.ingest.p99Ms)} ms; e2e p50 ${ms(step.e2e.p50Ms)} p95 ${ms(step.e2e.p95Ms)} p99 ${ms(step.e2e.p99Ms)} ms; ` +
    (step.coresBusyPercent === undefined ? '' : `cores ${step.coresBusyPercent.toFixed(1)} % busy; `) +
    (step.bounded ? 'bounded' : `NOT bounded: ${step.why}`) +
    refusedText(step.refused)
  );
}

/** Requests ingest did not accept, by status ('no answer': the client's timeout or a reset, and which). */
function refusedText(refused: Record<string, number>): string {
  const entries = Object.entries(refused);
  if (entries.length === 0) return '';
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  return `; ${total} not accepted (${entries.map(([status, count]) => `${status}: ${count}`).join(', ')})`;
}

export function log(transport: string, line: string): void {
  console.log(`  [${transport}] ${line}`);
}
