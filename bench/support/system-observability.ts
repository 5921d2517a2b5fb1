import type { TransportName } from '@hub/bus';
import { MetricsScraper, OtlpSink, type ExportCounts, type ScrapeFigures } from './observability-probes.js';
import { Endpoint } from './system-load.js';
import { cpuMs } from './system-probes.js';
import {
  backlogCleared,
  ingestCapacity,
  log,
  searchRate,
  sustainedRateOf,
  sustainedRun,
  warmUp,
  wire,
  type CapacityFigures,
  type SustainedFigures,
  type StepFigures,
  type SystemSettings,
  type TransportFigures,
  type Wiring,
} from './system-run.js';
import { SystemUnderTest } from './system.js';
import { message } from './workload.js';

export type Observability = 'off' | 'on';

/** One round: the apps restarted with observability off or on, a sustained run, then ingest's capacity. */
export interface RoundFigures {
  round: number;
  observability: Observability;
  sustained: SustainedFigures;
  /** CPU time (user + system) each app used over the sustained run, per accepted request. */
  cpuMsPerRequest: Record<string, number>;
  ingestCapacity: CapacityFigures;
  /** On: what the OTLP sink received while the round measured (sustained run and capacity). */
  exported?: ExportCounts;
  /** On: each app's /metrics scrapes while it was measured. */
  scrapes?: Record<string, ScrapeFigures>;
}

/** One figure, each side's mean over its rounds, and what turning observability on cost. */
export interface CostRow {
  figure: string;
  unit: string;
  off?: number;
  on?: number;
  /** In %, positive when "on" is worse (less throughput, more latency or memory). */
  costPercent?: number;
  /**
   * In %, the widest gap between two rounds of the same side, over the off mean: a cost smaller
   * than this is not told apart from the machine's own noise. Needs two rounds a side.
   */
  noisePercent?: number;
  /** Whether the aim (a cost under AIM_PERCENT) applies to this figure. */
  aimed: boolean;
}

export interface ObservabilityFigures {
  transport: TransportName;
  rate?: number;
  /** Without BENCH_RATE: the rate steps (observability off) that chose the rate. */
  steps?: StepFigures[];
  highestBoundedRate?: number;
  rounds: RoundFigures[];
  costs: CostRow[];
  /** Everything the OTLP sink received over the whole comparison, flushes at shutdown included. */
  exportedTotal?: ExportCounts;
  problems: string[];
}

/** The aim for the cost of tracing and scraping, on throughput and on the end-to-end p99. */
export const AIM_PERCENT = 5;

/**
 * `rounds` rounds in pairs, off/on then on/off and so on (off, on, on, off for 4): drift on a
 * shared machine (tables growing, the neighbours' load) then weighs on both sides alike.
 */
export function roundOrder(rounds: number): Observability[] {
  return Array.from({ length: rounds }, (_, i) => {
    const pairStartsOff = Math.floor(i / 2) % 2 === 0;
    const firstOfPair = i % 2 === 0;
    return pairStartsOff === firstOfPair ? 'off' : 'on';
  });
}

/**
 * The observability comparison of one transport on one system set-up (one Postgres, one bus, one
 * tenant, one receiver): the rate is BENCH_RATE, else found by the usual rate steps with
 * observability off; then each round restarts the three apps, off (no OTLP endpoint, nothing
 * scraped) or on (OTEL_EXPORTER_OTLP_ENDPOINT at a sink in this process, every app's /metrics
 * scraped each second), clears the backlog, warms up, runs the sustained phase and, with the
 * projector and dispatcher stopped, ingest's closed-loop capacity.
 */
export async function compareObservability(
  transport: TransportName,
  settings: SystemSettings,
  rounds: number,
  onSystem: (system: SystemUnderTest | undefined) => void,
): Promise<ObservabilityFigures> {
  const figures: ObservabilityFigures = { transport, rounds: [], costs: [], problems: [] };
  const system = new SystemUnderTest(transport);
  onSystem(system);
  const receiver = await Endpoint.start('receiver');
  const sink = await OtlpSink.start();
  let wiring: Wiring | undefined;
  try {
    log(transport, 'starting Postgres, the bus and the three apps');
    await system.start();
    wiring = await wire(system, receiver, settings);
    if (settings.sustainedRate === undefined) {
      await warmUp(wiring, settings);
      const search: TransportFigures = { transport, broker: '', steps: [], ceilings: {}, problems: [] };
      await searchRate(wiring, settings, search);
      figures.steps = search.steps;
      if (search.highestBoundedRate !== undefined) figures.highestBoundedRate = search.highestBoundedRate;
    }
    figures.rate = sustainedRateOf(settings, figures);
    const order = roundOrder(rounds);
    for (const [index, observability] of order.entries()) {
      log(transport, `round ${index + 1} of ${order.length}: observability ${observability}`);
      figures.rounds.push(await round(wiring, settings, figures, index + 1, observability, sink));
    }
    figures.costs = costs(figures.rounds);
  } catch (error) {
    figures.problems.push(message(error));
    console.error(`[${transport}] ${message(error)}`);
    console.error(system.logs.slice(-30).join('\n'));
  } finally {
    wiring?.ingest.close();
    await system.stop().catch((error: unknown) => figures.problems.push(`stop: ${message(error)}`));
    figures.exportedTotal = sink.snapshot();
    await sink.stop();
    await receiver.stop();
    onSystem(undefined);
  }
  return figures;
}

async function round(
  wiring: Wiring,
  settings: SystemSettings,
  figures: ObservabilityFigures,
  index: number,
  observability: Observability,
  sink: OtlpSink,
): Promise<RoundFigures> {
  const { system } = wiring;
  await system.restartApps(observability === 'on' ? tracingEnv(sink) : {});
  // The previous round's capacity run left webhooks for the projector and dispatcher to deliver.
  if (!(await backlogCleared(wiring, 180_000))) {
    figures.problems.push(`round ${index}: the backlog had not cleared after 180 s; measured anyway`);
  }
  await warmUp(wiring, settings);
  const scraper = observability === 'on' ? new MetricsScraper({ ...system.urls }) : undefined;
  const before = sink.snapshot();
  scraper?.start();
  const apps = ['ingest', 'projector', 'dispatcher'] as const;
  const cpuBefore = await Promise.all(apps.map((app) => cpuMs(system.pid(app))));
  const sustained = await sustainedRun(wiring, settings, figures.rate!);
  const cpuAfter = await Promise.all(apps.map((app) => cpuMs(system.pid(app))));
  const cpuMsPerRequest = Object.fromEntries(
    apps.map((app, i) => [app, (cpuAfter[i]! - cpuBefore[i]!) / Math.max(1, sustained.accepted)]),
  );
  // Ingest alone, as in the default run; a stopped app is no longer a scrape target.
  for (const app of ['projector', 'dispatcher'] as const) {
    scraper?.drop(app);
    await system.stopApp(app);
  }
  log(system.transport, `ingest capacity: closed loop, ${settings.capacityConcurrency} in flight`);
  const capacity = await ingestCapacity(wiring, settings);
  scraper?.stop();
  const exported = sink.since(before);
  if (observability === 'on' && exported.spans === 0) {
    figures.problems.push(`round ${index}: observability on, yet no span reached the OTLP sink`);
  }
  return {
    round: index,
    observability,
    sustained,
    cpuMsPerRequest,
    ingestCapacity: capacity,
    ...(observability === 'on' ? { exported, scrapes: scraper!.figures() } : {}),
  };
}

/**
 * The apps' environment with tracing on: the sink as OTLP endpoint, plus every OTEL_* variable of
 * the bench's own environment (OTEL_EXPORTER_OTLP_PROTOCOL=http/json, a sampler, ...), so other
 * exporter settings can be measured the same way.
 */
function tracingEnv(sink: OtlpSink): Record<string, string> {
  const passed = Object.entries(process.env).filter(
    (entry): entry is [string, string] => entry[0].startsWith('OTEL_') && entry[1] !== undefined,
  );
  return { ...Object.fromEntries(passed), OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint };
}

type Figure = (round: RoundFigures) => number | undefined;

const FIGURES: Array<{
  figure: string;
  unit: string;
  pick: Figure;
  higherIsBetter: boolean;
  aimed: boolean;
}> = [
  {
    figure: 'sustained: accepted',
    unit: 'req/s',
    pick: (r) => r.sustained.achievedRate,
    higherIsBetter: true,
    aimed: true,
  },
  {
    figure: 'ingest capacity (closed loop)',
    unit: 'req/s',
    pick: (r) => r.ingestCapacity.requestsPerSecond,
    higherIsBetter: true,
    aimed: true,
  },
  { figure: 'e2e p50', unit: 'ms', pick: (r) => r.sustained.e2e.p50Ms, higherIsBetter: false, aimed: false },
  { figure: 'e2e p95', unit: 'ms', pick: (r) => r.sustained.e2e.p95Ms, higherIsBetter: false, aimed: false },
  { figure: 'e2e p99', unit: 'ms', pick: (r) => r.sustained.e2e.p99Ms, higherIsBetter: false, aimed: true },
  {
    figure: 'ingest p99',
    unit: 'ms',
    pick: (r) => r.sustained.ingest.p99Ms,
    higherIsBetter: false,
    aimed: false,
  },
  {
    figure: 'capacity p99',
    unit: 'ms',
    pick: (r) => r.ingestCapacity.p99Ms,
    higherIsBetter: false,
    aimed: false,
  },
  ...(['ingest', 'projector', 'dispatcher'] as const).map((app) => ({
    figure: `CPU ${app} per request`,
    unit: 'ms',
    pick: (r: RoundFigures) => r.cpuMsPerRequest[app],
    higherIsBetter: false,
    aimed: false,
  })),
  ...(['ingest', 'projector', 'dispatcher'] as const).map((app) => ({
    figure: `RSS ${app} (max)`,
    unit: 'MiB',
    pick: (r: RoundFigures) => r.sustained.rssMaxMiB[app],
    higherIsBetter: false,
    aimed: false,
  })),
];

/** Each figure's mean over the off rounds and over the on rounds, and the cost in %. */
export function costs(rounds: RoundFigures[]): CostRow[] {
  return FIGURES.map(({ figure, unit, pick, higherIsBetter, aimed }) => {
    const offValues = known(rounds.filter((r) => r.observability === 'off').map(pick));
    const onValues = known(rounds.filter((r) => r.observability === 'on').map(pick));
    const off = mean(offValues);
    const on = mean(onValues);
    const row: CostRow = {
      figure,
      unit,
      aimed,
      ...(off === undefined ? {} : { off }),
      ...(on === undefined ? {} : { on }),
    };
    if (off !== undefined && on !== undefined && off > 0) {
      row.costPercent = ((higherIsBetter ? off - on : on - off) / off) * 100;
      const spread = Math.max(range(offValues), range(onValues));
      if (offValues.length > 1 && onValues.length > 1) row.noisePercent = (spread / off) * 100;
    }
    return row;
  });
}

function known(values: Array<number | undefined>): number[] {
  return values.filter((value): value is number => value !== undefined && Number.isFinite(value));
}

function mean(values: number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((sum, value) => sum + value, 0) / values.length;
}

function range(values: number[]): number {
  return values.length === 0 ? 0 : Math.max(...values) - Math.min(...values);
}
