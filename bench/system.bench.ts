import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TransportName } from '@hub/bus';
import { format, resolveConfig } from 'prettier';
import { printObservability } from './support/observability-report.js';
import {
  fixed,
  machineInfo,
  positiveInteger,
  printTable,
  writeFormattedReport,
  type Aim,
} from './support/report.js';
import { latencyPlot } from './support/system-plot.js';
import {
  describeStep,
  BROKER_CPU,
  runTransport,
  type CapacityFigures,
  type RawCeiling,
  type SystemSettings,
  type TransportFigures,
} from './support/system-run.js';
import type { Switches } from './support/system-probes.js';
import type { RoundFigures } from './support/round-metrics.js';
import { aimsOf } from './support/system-aims.js';
import type { AppendFigures } from './support/append-metrics.js';
import type { GcFigures } from './support/gc-metrics.js';
import { runSystemBenchmark } from './support/guard.js';
import {
  AIM_PERCENT,
  compareObservability,
  roundOrder,
  type ObservabilityFigures,
} from './support/system-observability.js';
import { APP_SETTINGS, type SystemUnderTest } from './support/system.js';

/**
 * `npm run bench`: the whole system under a steady load of signed provider requests, as
 * production runs it: its own embedded Postgres, the librdkafka mock cluster for the Kafka
 * transport (or the real broker at KAFKA_BROKERS, with production settings: the report says
 * which broker each figure comes from), and ingest, projector and dispatcher each a process of
 * its own (SystemUnderTest). A receiver in a process of its own is subscribed to everything (the
 * default trigger fields).
 *
 * Load: open loop. Request i is sent at start + i / rate whatever the answers so far (at most
 * BENCH_MAX_IN_FLIGHT unanswered; due requests beyond that are skipped and counted, never
 * queued). Each request is a signed Pylon Observer batch of one project at its next version, so
 * the webhook it causes (`subject` + `data.version`) names the POST it came from: end-to-end
 * latency is the POST's start to the receiver's receipt, both on this machine's clock. The
 * requests take BENCH_TENANTS tenants' sources in turn (default 16, each with its own Pylon
 * source and a subscription to the receiver), as a multi-tenant installation sees them: one
 * tenant alone is held to its fair share (INGEST_TENANT_EVENT_RATE, 100 events/s per ingest
 * process by default; ADR 0010), which would measure that setting rather than the system.
 *
 * Per transport: a warm-up, then rate steps (BENCH_RATES, default 100,250,500,750,1000,1500
 * req/s, BENCH_STEP_SECONDS each, default 10). A step's lag is bounded when it accepted >= 95 %
 * of what was offered, every webhook of the step arrived within 5 s after its last answer, and
 * the end-to-end p99 stayed under 2 s. An unbounded step is run once more after the backlog
 * cleared (the machine is shared, one noisy step must not end the search); the steps stop at the
 * first step unbounded twice, and the highest bounded step is reported. Then, apart from that
 * search, a sustained run (BENCH_SUSTAINED_SECONDS, default 30) at BENCH_RATE (default 500
 * req/s): the headline end-to-end percentiles, the resident memory of each app (VmRSS, sampled
 * every second, max), the database's rows written per second, ingest's group commit (mean
 * messages and publish calls per append over the run, from hub_bus_append_messages and
 * hub_bus_append_callers on its /metrics; "n/a" without them), and where the time went, stage by
 * stage, from the apps' own tables (entity_history, deliveries, delivery_attempts). Then, with
 * the projector and dispatcher stopped, ingest's capacity (closed loop, 32 in flight, 10 s) over
 * every tenant's source, then on one tenant's source alone (what its fair share lets through).
 *
 * Ceilings in the same run, on the same machine, with the apps stopped, each hit by the same
 * client with the same signed bodies, each server in a process of its own: a bare node:http
 * server (reads the body, answers 200) at the sustained rate and closed loop; a minimal NestJS
 * app (one POST route reading the raw body, answering 200 with a small JSON) on
 * @nestjs/platform-fastify, the apps' platform, and on Express, the one they left, closed loop:
 * the framework's share of ingest's cost. For the durable work, the raw ceilings do it the way the bus does: raw Postgres
 * inserts into the same database and raw kafkajs producer.sendBatch + consume on the same broker
 * (acks -1, the bus's idempotence), each batch ingest's mean messages per append over the
 * sustained run, one batch in flight, as ingest's group commit keeps one append in flight (1,024
 * B values; without the metrics: one message per batch, 32 in flight). Each figure is printed
 * beside its ceiling with the ratio, then the aims (AIMS), each met or missed.
 *
 * BENCH_TRANSPORTS (default postgres-log,kafka) chooses the transports. With the defaults a run
 * over both takes about 10 to 12 minutes. Results: bench/results/system.json and
 * system-latency.svg.
 *
 * BENCH_OBSERVABILITY=compare runs, instead, what observability costs (system-observability.ts):
 * per transport, on one system set-up, the sustained run and ingest's closed-loop capacity in
 * BENCH_OBSERVABILITY_ROUNDS rounds (default 4, even: off, on, on, off), each restarting the apps
 * either with tracing and scraping off, or with OTEL_EXPORTER_OTLP_ENDPOINT at an OTLP/HTTP sink
 * in this process (counting requests, bytes and spans; OTEL_* variables of this process are
 * passed on, e.g. OTEL_EXPORTER_OTLP_PROTOCOL) and every app's /metrics scraped each second.
 * The rate is BENCH_RATE, else the highest bounded step of the usual rate steps (run once, off).
 * Results: bench/results/system-observability.json; system.json is left alone.
 */
const RATES = list('BENCH_RATES', '100,250,500,750,1000,1500').map(Number);
const TRANSPORTS = list('BENCH_TRANSPORTS', 'postgres-log,kafka') as TransportName[];
const OBSERVABILITY = process.env['BENCH_OBSERVABILITY'] ?? '';
/** The sustained run's rate unless BENCH_RATE says otherwise: the rate the latency aim is set at. */
const SUSTAINED_RATE = 500;
const SETTINGS: SystemSettings = {
  rates: RATES,
  stepSeconds: positiveInteger('BENCH_STEP_SECONDS', 10),
  sustainedSeconds: positiveInteger('BENCH_SUSTAINED_SECONDS', 30),
  // The observability comparison keeps its own default: the highest bounded step.
  ...(process.env['BENCH_RATE'] || OBSERVABILITY !== 'compare'
    ? { sustainedRate: positiveInteger('BENCH_RATE', SUSTAINED_RATE) }
    : {}),
  drainMs: 5_000,
  e2eP99BoundMs: 2_000,
  maxInFlight: positiveInteger('BENCH_MAX_IN_FLIGHT', 64),
  capacityConcurrency: 32,
  tenants: positiveInteger('BENCH_TENANTS', 16),
  capacitySeconds: 10,
  ceilingRounds: positiveInteger('BENCH_CEILING_ROUNDS', 3),
  rawWorkload: {
    messages: 10_000,
    payloadBytes: 1024,
    batchSize: 1,
    inFlight: 32,
    keys: 1000,
    maxUnconsumed: 4_000,
  },
};
/** Bus messages per accepted request: the canonical event and the raw delivery (ingest), the state change (projector). */
const BUS_MESSAGES_PER_REQUEST = 3;
/** Messages ingest publishes per request, in one publish: the canonical event and the raw delivery. */
const INGEST_MESSAGES_PER_REQUEST = 2;
/** The aims, each printed met or missed beside the figures and ceilings it is judged on. */
const AIMS = {
  /** Ingest's closed-loop capacity over bare node:http's, in %. */
  capacityPercentOfBareHttp: 50,
  highestBoundedRate: 1_000,
  /** The end-to-end p99 of a sustained run at this rate, on the Postgres log and on a real broker. */
  sustainedRate: SUSTAINED_RATE,
  sustainedE2eP99Ms: 100,
  rssMiBPerApp: 150,
};
/** A comparison's rounds each rerun the sustained phase: it may take twice as long. */
const WATCHDOG_MS = (OBSERVABILITY === 'compare' ? 50 : 25) * 60_000;
const RESULTS = fileURLToPath(new URL('../../bench/results/system.json', import.meta.url));
const OBSERVABILITY_RESULTS = fileURLToPath(
  new URL('../../bench/results/system-observability.json', import.meta.url),
);
const PLOT = fileURLToPath(new URL('../../bench/results/system-latency.svg', import.meta.url));

export interface Ratio {
  figure: string;
  value?: number;
  unit: string;
  ceiling: string;
  ceilingValue?: number;
  /** value / ceilingValue. */
  ratio?: number;
}

async function main(track: (system: SystemUnderTest | undefined) => void): Promise<void> {
  for (const rate of RATES) {
    if (!Number.isInteger(rate) || rate <= 0)
      throw new Error(`BENCH_RATES: ${RATES.join(',')} are not all whole numbers > 0`);
  }
  if (OBSERVABILITY === 'compare') return compareObservabilityRun(track);
  if (OBSERVABILITY !== '')
    throw new Error(`BENCH_OBSERVABILITY: 'compare' or nothing, got '${OBSERVABILITY}'`);
  console.log(
    `system benchmark: ${TRANSPORTS.join(', ')}; steps ${RATES.join(', ')} req/s x ${SETTINGS.stepSeconds} s, ` +
      `sustained ${SETTINGS.sustainedSeconds} s at ${SETTINGS.sustainedRate ?? 'the highest bounded step'}` +
      (Object.keys(APP_SETTINGS).length > 0 ? `; app settings ${JSON.stringify(APP_SETTINGS)}` : ''),
  );
  const transports: TransportFigures[] = [];
  for (const transport of TRANSPORTS) {
    transports.push(await runTransport(transport, SETTINGS, track));
  }
  const report = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    settings: {
      ...SETTINGS,
      appSettings: APP_SETTINGS,
      busMessagesPerRequest: BUS_MESSAGES_PER_REQUEST,
      ingestMessagesPerRequest: INGEST_MESSAGES_PER_REQUEST,
      aims: AIMS,
    },
    transports: transports.map((figures) => ({
      ...figures,
      ratios: ratios(figures),
      aims: aimsOf(figures, AIMS),
    })),
  };
  print(report.transports);
  // Formatted as `npm run check` wants it: the results are committed.
  await mkdir(path.dirname(RESULTS), { recursive: true });
  const options = (await resolveConfig(RESULTS)) ?? {};
  await writeFile(RESULTS, await format(JSON.stringify(report), { ...options, parser: 'json' }));
  console.log('\nfigures written to bench/results/system.json');
  const machine = report.machine;
  await writeFile(
    PLOT,
    latencyPlot(
      transports,
      `solar-hub end to end, ${report.date.slice(0, 10)}, ${machine['cpuCount']} x ${machine['cpuModel']}`,
    ),
  );
  console.log(`plot written to bench/results/system-latency.svg`);
  const failed = transports.some((t) => t.problems.length > 0 && t.sustained === undefined);
  process.exit(failed ? 1 : 0);
}

/** BENCH_OBSERVABILITY=compare: each transport's rounds off and on, printed and written. */
async function compareObservabilityRun(track: (system: SystemUnderTest | undefined) => void): Promise<void> {
  const rounds = positiveInteger('BENCH_OBSERVABILITY_ROUNDS', 4);
  if (rounds % 2 !== 0) throw new Error(`BENCH_OBSERVABILITY_ROUNDS must be even, got ${rounds}`);
  console.log(
    `observability cost: ${TRANSPORTS.join(', ')}; ${rounds} rounds (${roundOrder(rounds).join(', ')}) of ` +
      `${SETTINGS.sustainedSeconds} s sustained at ${SETTINGS.sustainedRate ?? 'the highest bounded step'} req/s ` +
      `and ${SETTINGS.capacitySeconds} s of ingest capacity`,
  );
  // The neighbours' load, before and after: a cost is only as good as the machine was quiet.
  const loadBefore = os.loadavg();
  const transports: ObservabilityFigures[] = [];
  for (const transport of TRANSPORTS) {
    transports.push(await compareObservability(transport, SETTINGS, rounds, track));
  }
  printObservability(transports);
  const loadAverage = { before: loadBefore, after: os.loadavg() };
  console.log(
    `\nload average (1, 5, 15 min): before ${loadAverage.before.map((l) => l.toFixed(1)).join(', ')}; after ${loadAverage.after.map((l) => l.toFixed(1)).join(', ')}`,
  );
  await writeFormattedReport(
    {
      date: new Date().toISOString(),
      machine: machineInfo(),
      loadAverage,
      settings: { ...SETTINGS, rounds, aimPercent: AIM_PERCENT },
      transports,
    },
    OBSERVABILITY_RESULTS,
  );
  const failed = transports.some((t) => t.costs.every((c) => c.costPercent === undefined));
  process.exit(failed ? 1 : 0);
}

/** A closed-loop HTTP ceiling's name, with how many rounds its best was taken from. */
function ceilingName(server: string, figures: CapacityFigures | undefined): string {
  const rounds = figures?.roundsPerSecond?.length ?? 1;
  return rounds > 1
    ? `${server}, same client, best of ${rounds} rounds (req/s)`
    : `${server}, same client (req/s)`;
}

function ratios(t: TransportFigures): Ratio[] {
  const { ceilings, sustained, ingestCapacity } = t;
  const rawBus = t.transport === 'kafka' ? ceilings.rawKafka : ceilings.rawPostgres;
  const rawBusName = rawCeilingName(
    t.transport === 'kafka' ? 'raw kafkajs sendBatch' : 'raw pg INSERT',
    rawBus,
  );
  const rate = sustained?.offeredRate;
  const capacity = ingestCapacity?.requestsPerSecond;
  const bare = ceilings.bareHttpCapacity?.requestsPerSecond;
  const bareName = ceilingName('bare node:http', ceilings.bareHttpCapacity);
  const expressName = ceilingName('NestJS on Express, 1 route', ceilings.nestExpressCapacity);
  const fastifyName = ceilingName('NestJS on Fastify, 1 route', ceilings.nestFastifyCapacity);
  const rows: Ratio[] = [
    {
      figure: `ingest capacity (closed loop, 32 in flight, ${t.ingestCapacity?.sources} tenants)`,
      unit: 'req/s',
      ceiling: bareName,
      ...pair(capacity, bare),
    },
    {
      figure: `ingest capacity (closed loop, 32 in flight, ${t.ingestCapacity?.sources} tenants)`,
      unit: 'req/s',
      ceiling: expressName,
      ...pair(capacity, ceilings.nestExpressCapacity?.requestsPerSecond),
    },
    {
      figure: `ingest capacity (closed loop, 32 in flight, ${t.ingestCapacity?.sources} tenants)`,
      unit: 'req/s',
      ceiling: fastifyName,
      ...pair(capacity, ceilings.nestFastifyCapacity?.requestsPerSecond),
    },
    {
      figure: 'NestJS on Express, 1 route (framework alone)',
      unit: 'req/s',
      ceiling: bareName,
      ...pair(ceilings.nestExpressCapacity?.requestsPerSecond, bare),
    },
    {
      figure: 'NestJS on Fastify, 1 route (framework alone)',
      unit: 'req/s',
      ceiling: bareName,
      ...pair(ceilings.nestFastifyCapacity?.requestsPerSecond, bare),
    },
    {
      figure: 'ingest capacity of one tenant (its fair share)',
      unit: 'req/s',
      ceiling: bareName,
      ...pair(t.ingestCapacityOneTenant?.requestsPerSecond, bare),
    },
    {
      figure: `ingest p50 at ${rate} req/s`,
      unit: 'ms',
      ceiling: `bare node:http p50 at ${rate} req/s`,
      ...pair(sustained?.ingest.p50Ms, ceilings.bareHttpAtRate?.ingest.p50Ms),
    },
    {
      figure: `ingest p99 at ${rate} req/s`,
      unit: 'ms',
      ceiling: `bare node:http p99 at ${rate} req/s`,
      ...pair(sustained?.ingest.p99Ms, ceilings.bareHttpAtRate?.ingest.p99Ms),
    },
    {
      figure: `ingest bus messages at capacity (${INGEST_MESSAGES_PER_REQUEST} per request)`,
      unit: 'msgs/s',
      ceiling: rawBusName,
      ...pair(mul(capacity, INGEST_MESSAGES_PER_REQUEST), rawBus?.perSecond),
    },
    {
      figure: `highest bounded rate, as bus messages (${BUS_MESSAGES_PER_REQUEST} per request)`,
      unit: 'msgs/s',
      ceiling: rawBusName,
      ...pair(mul(t.highestBoundedRate, BUS_MESSAGES_PER_REQUEST), rawBus?.perSecond),
    },
    {
      figure: `database rows written at ${rate} req/s`,
      unit: 'rows/s',
      ceiling: rawCeilingName('raw pg INSERT', ceilings.rawPostgres),
      ...pair(sustained?.rowsWrittenPerSecond, ceilings.rawPostgres?.perSecond),
    },
  ];
  return rows;
}

/** A raw ceiling's name with the shape it was measured in, e.g. "raw pg INSERT, 3 per transaction, 1 in flight (/s)". */
function rawCeilingName(name: string, raw: RawCeiling | undefined): string {
  if (!raw) return `${name} (/s)`;
  const unit = name.includes('pg') ? 'rows per transaction' : 'msgs per sendBatch';
  const shape = raw.shapedByIngest ? "ingest's mean append" : 'no append metrics';
  return `${name}, ${raw.batchSize} ${unit}, ${raw.inFlight} in flight, ${shape} (/s)`;
}

function pair(value: number | undefined, ceilingValue: number | undefined) {
  return {
    ...(value === undefined ? {} : { value }),
    ...(ceilingValue === undefined ? {} : { ceilingValue }),
    ...(value !== undefined && ceilingValue !== undefined && ceilingValue > 0
      ? { ratio: value / ceilingValue }
      : {}),
  };
}

const mul = (value: number | undefined, by: number) => (value === undefined ? undefined : value * by);

function print(transports: Array<TransportFigures & { ratios: Ratio[]; aims: Aim[] }>): void {
  const ms = (value: number | undefined) => fixed(value, 0);
  for (const t of transports) {
    console.log(
      `\n${t.transport} (${t.broker || 'bus not started'}): rate steps (e2e = provider POST to receiver receipt)`,
    );
    console.log(
      `machine probe (200,000 HMAC-SHA256 + 300,000 JSON round trips in one process; lower is faster): ${fixed(t.machineProbeMs?.before, 0)} ms before this transport's run, ${fixed(t.machineProbeMs?.after, 0)} ms after`,
    );
    printTable([
      [
        'offered req/s',
        'accepted/s',
        'ingest p50',
        'ingest p99',
        'e2e p50',
        'e2e p95',
        'e2e p99',
        'drain ms',
        'cores busy',
        'lag',
      ],
      ...t.steps.map((s) => [
        String(s.offeredRate),
        fixed(s.achievedRate, 1),
        ms(s.ingest.p50Ms),
        ms(s.ingest.p99Ms),
        ms(s.e2e.p50Ms),
        ms(s.e2e.p95Ms),
        ms(s.e2e.p99Ms),
        ms(s.drainMs),
        s.coresBusyPercent === undefined ? '-' : `${s.coresBusyPercent.toFixed(1)} %`,
        (s.bounded ? 'bounded' : 'UNBOUNDED') + (s.retried ? ' (2nd try)' : ''),
      ]),
    ]);
    console.log(`highest bounded rate: ${t.highestBoundedRate ?? 'none'} req/s`);
    if (t.sustained) {
      const s = t.sustained;
      console.log(
        `\n${t.transport}: sustained ${s.offeredRate} req/s for ${s.seconds.toFixed(0)} s: ${describeStep(s)}`,
      );
      console.log(
        `  resident memory (max): ${Object.entries(s.rssMaxMiB)
          .map(([name, mib]) => `${name} ${mib.toFixed(0)} MiB`)
          .join(', ')}`,
      );
      console.log(`  CPU per accepted request: ${describeCpu(s.cpuMsPerRequest)}`);
      console.log(
        `  context switches per accepted request: ${fixed(s.contextSwitchesPerRequest, 1)} on the machine; voluntary (a wait, then a wake-up) + involuntary (preempted): ${describeSwitches(s.switchesPerRequest)}`,
      );
      console.log(
        `  garbage-collection pauses per accepted request (each app's thread stopped, wall time): ${describeGc(s.gc)}`,
      );
      console.log(`  consumer rounds (committed batches): ${describeConsumerRounds(s.rounds, s.accepted)}`);
      console.log(
        `  database work per accepted request: ${fixed(s.rowsPerRequest, 1)} rows written, ${fixed(s.commitsPerRequest, 2)} transactions committed`,
      );
      if (s.statements) {
        console.log('  Postgres statements by execution time, per accepted request:');
        printTable([
          ['exec ms', 'plan ms', 'calls', 'rows', 'statement'],
          ...s.statements.map((st) => [
            fixed(st.ms, 3),
            fixed(st.planMs, 3),
            fixed(st.calls, 2),
            fixed(st.rows, 2),
            st.query,
          ]),
        ]);
      }
      console.log(`  ingest group commit, sustained: ${describeAppends(s.ingestAppends)}`);
      console.log(`  ingest group commit, at capacity: ${describeAppends(t.ingestCapacity?.ingestAppends)}`);
      printTable([
        ['stage', 'p50 ms', 'p99 ms'],
        ...s.stages.map((stage) => [stage.stage, fixed(stage.p50Ms, 1), fixed(stage.p99Ms, 1)]),
      ]);
      console.log(`  slowest stage (p50): ${s.slowestStage ?? '-'}`);
    }
    console.log(`\n${t.transport}: beside the ceilings measured in this run`);
    printTable([
      ['figure', 'value', 'ceiling', 'ceiling value', 'ratio'],
      ...t.ratios.map((r) => [
        r.figure,
        `${fixed(r.value, r.unit === 'ms' ? 1 : 0)} ${r.unit}`,
        r.ceiling,
        fixed(r.ceilingValue, r.unit === 'ms' ? 1 : 0),
        r.ratio === undefined
          ? '-'
          : r.unit === 'ms'
            ? `${r.ratio.toFixed(2)} x`
            : `${(r.ratio * 100).toFixed(1)} %`,
      ]),
    ]);
    for (const raw of [t.ceilings.rawPostgres, t.ceilings.rawKafka]) {
      if (raw?.problem) console.log(`  raw ceiling problem: ${raw.problem}`);
    }
    console.log(`\n${t.transport}: aims (${t.broker || 'bus not started'})`);
    for (const aim of t.aims) console.log(`  ${aim.status.padEnd(7)} ${aim.description}: ${aim.actual}`);
    for (const problem of t.problems) console.log(`  problem: ${problem}`);
  }
}

/** Each app's pause ms per request, with how often each kind of collection ran. */
function describeGc(gc: Record<string, GcFigures> | undefined): string {
  const apps = Object.entries(gc ?? {});
  if (apps.length === 0) return 'n/a (no nodejs_gc_duration_seconds on /metrics)';
  return apps
    .map(([app, figures]) => {
      const kinds = Object.entries(figures.byKind)
        .filter(([, kind]) => kind.perSecond > 0)
        .map(([name, kind]) => `${name} ${kind.msPerRequest.toFixed(3)} ms, ${kind.perSecond.toFixed(1)}/s`);
      return `${app} ${figures.msPerRequest.toFixed(3)} ms (${kinds.join('; ')})`;
    })
    .join(', ');
}

/** Mean messages and publish calls per append, or "n/a" when ingest has no append metrics. */
function describeAppends(appends: AppendFigures | undefined): string {
  if (appends?.meanMessages === undefined)
    return appends ? `no appends` : 'n/a (no hub_bus_append_* metrics)';
  const callers = appends.meanCallers === undefined ? 'n/a' : appends.meanCallers.toFixed(2);
  return `${appends.appends} appends, mean ${appends.meanMessages.toFixed(2)} messages and ${callers} publish calls per append`;
}

function list(name: string, fallback: string): string[] {
  return (process.env[name] || fallback)
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

runSystemBenchmark('system benchmark', WATCHDOG_MS, main);

function describeConsumerRounds(rounds: Record<string, RoundFigures> | undefined, accepted: number): string {
  if (!rounds || Object.keys(rounds).length === 0) return 'n/a';
  return Object.entries(rounds)
    .map(
      ([group, { rounds: count, messages }]) =>
        `${group} ${count} (${fixed(count / Math.max(1, accepted), 3)} per accepted request, ${fixed(messages / count, 1)} messages each)`,
    )
    .join(', ');
}

function describeSwitches(switches: Record<string, Switches> | undefined): string {
  if (!switches || Object.keys(switches).length === 0) return 'n/a';
  return Object.entries(switches)
    .map(([name, each]) => `${name} ${each.voluntary.toFixed(2)} + ${each.involuntary.toFixed(2)}`)
    .join(', ');
}

/**
 * Each process's CPU per accepted request, their sum, and the rate that sum allows on this
 * machine's cores at this run's batching: batches grow with the rate, so a higher rate costs
 * less per request and can pass it.
 */
function describeCpu(cpu: Record<string, number> | undefined): string {
  if (!cpu || Object.keys(cpu).length === 0) return 'n/a';
  const total = Object.values(cpu).reduce((sum, ms) => sum + ms, 0);
  const cores = os.availableParallelism();
  const each = Object.entries(cpu).map(([name, ms]) => `${name} ${ms.toFixed(2)}`);
  const broker = cpu[BROKER_CPU];
  const brokerAside = broker === undefined ? '' : `, ${(total - broker).toFixed(2)} broker aside`;
  return `${each.join(', ')} ms; total ${total.toFixed(2)} ms${brokerAside} (${cores} cores: ${Math.round((cores * 1_000) / total)} req/s at this run's batching)`;
}
