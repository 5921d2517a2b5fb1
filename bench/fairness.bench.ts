import { fileURLToPath } from 'node:url';
import type { TransportName } from '@hub/bus';
import {
  describePhase,
  runFairness,
  type FairnessFigures,
  type FairnessSettings,
} from './support/fairness-run.js';
import {
  fixed,
  machineInfo,
  positiveInteger,
  printTable,
  writeFormattedReport,
  type Aim,
} from './support/report.js';
import { runSystemBenchmark } from './support/guard.js';
import type { SystemUnderTest } from './support/system.js';

/**
 * `npm run bench:fairness`: a noisy neighbour. The whole system as `npm run bench` starts it
 * (bench/support/system.ts: embedded Postgres, the three apps as processes, a receiver process),
 * with two tenants, each with a Pylon Observer source of its own:
 *
 * 1. Quiet: tenant B alone sends a steady open loop (BENCH_QUIET_RATE req/s, default 20, one
 *    event each, BENCH_QUIET_SECONDS, default 20) and is subscribed to everything; its end-to-end
 *    latency (provider POST to the receiver's receipt) is the reference: the ceiling of this
 *    benchmark is B's own quiet p99, measured in the same run.
 * 2. Flood: tenant A, from a child process of its own (bench/support/fairness-flood-main.ts, so
 *    its sending never delays B's requests or their timing in this process), sends as fast as
 *    BENCH_FLOOD_CONCURRENCY requests in flight allow (default 32), each a batch of
 *    BENCH_FLOOD_BATCH new projects (default 500 events), for BENCH_FLOOD_SECONDS (default 25) or
 *    BENCH_FLOOD_MAX_REQUESTS (default 300), whichever ends first, while B keeps its rate. B's latency again, over B's requests sent while A flooded.
 *    B's requests due while BENCH_MAX_IN_FLIGHT (64) of its own are unanswered are skipped and
 *    counted (open loop, as in `npm run bench`): the slowest would-be requests are then missing,
 *    so read a flooded percentile beside the skipped count.
 * 3. Drain: up to BENCH_DRAIN_TIMEOUT_SECONDS (default 240) after the flood, until every event of
 *    A's requests answered 200 is in the read model or on the dead-letter topic; A's lost events
 *    are those in neither.
 *
 * Aim: B's flooded p99 within 2x its quiet p99. Transports: the Postgres log, and Kafka when
 * KAFKA_BROKERS names a real broker (BENCH_TRANSPORTS overrides; the librdkafka mock keeps only
 * 5 MiB per partition, less than a default flood, so it is not used by default). About 3 to 4
 * minutes per transport with the defaults. Results: bench/results/fairness.json.
 */
const TRANSPORTS = (
  process.env['BENCH_TRANSPORTS'] || (process.env['KAFKA_BROKERS'] ? 'postgres-log,kafka' : 'postgres-log')
)
  .split(',')
  .map((name) => name.trim())
  .filter(Boolean) as TransportName[];
const SETTINGS: FairnessSettings = {
  quietRate: positiveInteger('BENCH_QUIET_RATE', 20),
  quietSeconds: positiveInteger('BENCH_QUIET_SECONDS', 20),
  floodConcurrency: positiveInteger('BENCH_FLOOD_CONCURRENCY', 32),
  floodBatch: positiveInteger('BENCH_FLOOD_BATCH', 500),
  floodSeconds: positiveInteger('BENCH_FLOOD_SECONDS', 25),
  floodMaxRequests: positiveInteger('BENCH_FLOOD_MAX_REQUESTS', 300),
  drainTimeoutSeconds: positiveInteger('BENCH_DRAIN_TIMEOUT_SECONDS', 240),
  maxInFlight: positiveInteger('BENCH_MAX_IN_FLIGHT', 64),
};
/** The aim: B's p99 while A floods stays within this multiple of its quiet p99. */
const AIM_RATIO = 2;
const WATCHDOG_MS = 10 * 60_000 * TRANSPORTS.length;
const RESULTS = fileURLToPath(new URL('../../bench/results/fairness.json', import.meta.url));

async function main(track: (system: SystemUnderTest | undefined) => void): Promise<void> {
  console.log(
    `fairness benchmark: ${TRANSPORTS.join(', ')}; B at ${SETTINGS.quietRate} req/s, ` +
      `A ${SETTINGS.floodConcurrency} in flight x ${SETTINGS.floodBatch} events for ${SETTINGS.floodSeconds} s`,
  );
  const transports: Array<FairnessFigures & { p99Ratio?: number; aims: Aim[] }> = [];
  for (const transport of TRANSPORTS) {
    const figures = await runFairness(transport, SETTINGS, track);
    const quiet = figures.quiet?.e2e.p99Ms;
    const flooded = figures.flooded?.e2e.p99Ms;
    const p99Ratio = quiet && flooded !== undefined ? flooded / quiet : undefined;
    transports.push({
      ...figures,
      ...(p99Ratio === undefined ? {} : { p99Ratio }),
      aims: aims(figures, p99Ratio),
    });
  }
  const report = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    settings: SETTINGS,
    ceiling: "tenant B's end-to-end p99 on the quiet system, measured in the same run",
    transports,
  };
  transports.forEach(print);
  await writeFormattedReport(report, RESULTS);
  process.exit(transports.some((t) => t.problems.length > 0 && t.flooded === undefined) ? 1 : 0);
}

function aims(figures: FairnessFigures, p99Ratio: number | undefined): Aim[] {
  const drain = figures.drain;
  return [
    p99Ratio === undefined
      ? {
          description: `B's flooded e2e p99 <= ${AIM_RATIO}x its quiet p99`,
          actual: 'not measured',
          status: 'SKIPPED',
        }
      : {
          description: `B's flooded e2e p99 <= ${AIM_RATIO}x its quiet p99`,
          actual: `${p99Ratio.toFixed(2)}x`,
          status: p99Ratio <= AIM_RATIO ? 'MET' : 'MISSED',
        },
    drain === undefined
      ? { description: "none of A's accepted events lost", actual: 'not measured', status: 'SKIPPED' }
      : {
          description: "none of A's accepted events lost",
          actual: `${drain.lost} lost`,
          status: drain.lost === 0 ? 'MET' : 'MISSED',
        },
  ];
}

function print(t: FairnessFigures & { p99Ratio?: number; aims: Aim[] }): void {
  const ms = (value: number | undefined) => fixed(value, 0);
  const times = (flooded: number | undefined, quiet: number | undefined) =>
    flooded !== undefined && quiet ? `${(flooded / quiet).toFixed(2)} x` : '-';
  const { quiet, flooded, flood, drain } = t;
  console.log(`\n${t.transport} (${t.broker}): tenant B at ${SETTINGS.quietRate} req/s, one event each`);
  console.log(`  ceiling: B's own quiet p99 (same run); e2e = provider POST to receiver receipt`);
  printTable([
    ['figure', 'quiet (ceiling)', 'A flooding', 'ratio'],
    ...(['p50Ms', 'p95Ms', 'p99Ms'] as const).map((p) => [
      `B e2e ${p.slice(0, 3)} ms`,
      ms(quiet?.e2e[p]),
      ms(flooded?.e2e[p]),
      times(flooded?.e2e[p], quiet?.e2e[p]),
    ]),
    [
      'B ingest p99 ms',
      ms(quiet?.ingest.p99Ms),
      ms(flooded?.ingest.p99Ms),
      times(flooded?.ingest.p99Ms, quiet?.ingest.p99Ms),
    ],
    [
      `B sent / skipped (${SETTINGS.maxInFlight} unanswered)`,
      quiet ? `${quiet.sent} / ${quiet.skipped}` : '-',
      flooded ? `${flooded.sent} / ${flooded.skipped}` : '-',
      '',
    ],
    [
      'B webhooks arrived / accepted',
      quiet ? `${quiet.delivered} / ${quiet.accepted}` : '-',
      flooded ? `${flooded.delivered} / ${flooded.accepted}` : '-',
      '',
    ],
  ]);
  if (quiet && flooded) {
    console.log(`  where B's time went (p50 / p99 ms):`);
    printTable([
      ['stage', 'quiet', 'A flooding'],
      ...quiet.stages.map((stage, i) => {
        const other = flooded.stages[i];
        return [
          stage.stage,
          `${fixed(stage.p50Ms, 0)} / ${fixed(stage.p99Ms, 0)}`,
          `${fixed(other?.p50Ms, 0)} / ${fixed(other?.p99Ms, 0)}`,
        ];
      }),
    ]);
  }
  if (flood && drain) {
    console.log(`\n${t.transport}: tenant A's flood and its backlog`);
    printTable([
      ['figure', 'value'],
      [
        `requests accepted / sent (${flood.seconds.toFixed(1)} s, stopped by ${flood.stoppedBy})`,
        `${flood.requestsAccepted} / ${flood.requestsSent}`,
      ],
      ['events accepted', String(flood.eventsAccepted)],
      ['events accepted/s', fixed(flood.eventsAcceptedPerSecond, 0)],
      [
        `ingest p50 / p99 ms (${SETTINGS.floodBatch}-event requests)`,
        `${ms(flood.ingest.p50Ms)} / ${ms(flood.ingest.p99Ms)}`,
      ],
      ['backlog at the end of the flood (events)', String(drain.backlogAtFloodEnd)],
      ['applied (in the read model)', String(drain.applied)],
      ['dead-lettered', String(drain.deadLettered)],
      ['lost (accepted, neither)', String(drain.lost)],
      ['drain time s (flood end to nothing left)', fixed(drain.drainSeconds, 1)],
      ['drain events/s', fixed(drain.eventsPerSecond, 0)],
    ]);
  }
  console.log(
    `\n  resident memory (max over the run): ${Object.entries(t.rssMaxMiB)
      .map(([name, mib]) => `${name} ${mib.toFixed(0)} MiB`)
      .join(', ')}`,
  );
  if (quiet) console.log(`  ${describePhase('quiet', quiet)}`);
  if (flooded) console.log(`  ${describePhase('flooded', flooded)}`);
  console.log('  aims:');
  t.aims.forEach((aim) => console.log(`    ${aim.status.padEnd(7)} ${aim.description}: ${aim.actual}`));
  for (const problem of t.problems) console.log(`  problem: ${problem}`);
}

runSystemBenchmark('fairness benchmark', WATCHDOG_MS, main);
