import { fileURLToPath } from 'node:url';
import { Logger } from '@nestjs/common';
import { createTestDatabase, stopEmbeddedTestServer } from '../test/support/database.js';
import { createTenant } from '../test/support/tenants.js';
import { openBus, type OpenBus } from './support/bus-run.js';
import { checkpoint } from './support/ceilings.js';
import { stopApp } from '../test/support/app-process.js';
import { killNow, runBenchmark } from './support/guard.js';
import {
  aimOf,
  databaseServer,
  machineInfo,
  positiveInteger,
  writeReport,
  type Aim,
} from './support/report.js';
import { message } from './support/workload.js';
import { measureInsertCeiling, type CeilingFigures } from './support/projector-ceiling.js';
import {
  printProjectorReport,
  timeline,
  type CeilingRow,
  type ProjectorReport,
} from './support/projector-report.js';
import {
  CpuMeter,
  Progress,
  runBurst,
  startProjector,
  TOPICS,
  type BurstFigures,
  type RunningProjector,
} from './support/projector-run.js';
import { measureSizes, warmUpEvents, type ProjectorWorkload } from './support/projector-workload.js';

/**
 * `npm run bench:projector`: how fast the projector applies canonical events, and how far behind a
 * burst leaves it, next to what Postgres alone inserts per second on the same database.
 *
 * The projector runs as a real process (`dist/apps/projector/src/main.js`, Postgres-log bus, its
 * default batch size) on a fresh database. The benchmark publishes BENCH_EVENTS project.upserted
 * events (default 50,000) over one project per five events (10,000 at the default), as fast as the
 * bus takes them, and reads the projector's committed offsets every 100 ms until all are applied.
 * Then, with the projector stopped, the same documents go into a throwaway table (a `json` column,
 * like the read models) with plain unnest INSERTs of the same batch size: the ceiling.
 *
 * Settings: BENCH_EVENTS is the only variable read here; the test support reads
 * TEST_DATABASE_URL (else 127.0.0.1:5432, else an embedded Postgres).
 */
const EVENTS = positiveInteger('BENCH_EVENTS', 50_000);
const BATCH_SIZE = 500;
/** The projector's PROJECTOR_BATCH_SIZE default; the benchmark leaves it unset. */
const PROJECTOR_BATCH_SIZE = 500;
const IN_FLIGHT = 4;
const AIM_EVENTS_PER_SECOND = 5_000;
/** The burst, from first publish: a projector this slow is reported with partial figures. */
const BURST_TIMEOUT_MS = 240_000;
/** Last resort so the benchmark always ends, even if a close hangs. */
const WATCHDOG_MS = 10 * 60_000;
const WARM_UP_PROJECTS = 250;
const RESULTS_FILE = fileURLToPath(new URL('../../bench/results/projector.json', import.meta.url));

interface Measured {
  workload: ProjectorWorkload;
  tenant: string;
  burst?: BurstFigures;
  counts: { stateChanges?: number; projects?: number; history?: number };
  resources: ProjectorReport['resources'];
  stop?: string;
  version: string;
  problems: string[];
}

async function main(): Promise<void> {
  // The bus logs each subscription at `log` level; keep stdout for the figures.
  Logger.overrideLogger(['warn', 'error']);
  const database = await createTestDatabase();
  let report: ProjectorReport;
  try {
    const measured = await measureProjector(database.url);
    const ceilings: CeilingRow[] = [];
    for (const [name, inFlight] of [
      ['raw pg insert, 1 INSERT at a time (ceiling)', 1],
      [`raw pg insert, ${IN_FLIGHT} INSERTs in flight`, IN_FLIGHT],
    ] as const) {
      await checkpoint(database.url);
      try {
        ceilings.push({
          name,
          ...(await measureInsertCeiling(database.url, measured.tenant, measured.workload, inFlight)),
        });
      } catch (error) {
        measured.problems.push(`${name}: failed: ${message(error)}`);
      }
    }
    report = buildReport(database.url, measured, ceilings);
  } finally {
    await database
      .drop()
      .catch((error: unknown) => console.error(`could not drop the database: ${message(error)}`));
    await stopEmbeddedTestServer();
  }
  printProjectorReport(report);
  await writeReport(report, RESULTS_FILE);
}

/** Starts the projector, warms it up, times the burst, stops it. */
async function measureProjector(databaseUrl: string): Promise<Measured> {
  const projector = await startProjector(databaseUrl);
  running = projector;
  let bus: OpenBus | undefined;
  let progress: Progress | undefined;
  try {
    const tenant = (await createTenant({ DATABASE_URL: databaseUrl }, 'Bench')).tenant_id;
    const projects = Math.max(1, Math.min(10_000, Math.round(EVENTS / 5)));
    const workload: ProjectorWorkload = {
      events: EVENTS,
      projects,
      batchSize: BATCH_SIZE,
      inFlight: IN_FLIGHT,
      ...measureSizes(tenant, projects),
    };
    progress = await Progress.open(databaseUrl);
    bus = await openBus({ DATABASE_URL: databaseUrl });
    const measured: Measured = {
      workload,
      tenant,
      counts: {},
      resources: {},
      version: await progress.serverVersion(),
      problems: [],
    };
    await warmUp(bus, progress, tenant);
    await checkpoint(databaseUrl);
    const stateChangesBefore = await progress.stateChanges();
    const historyBefore = await progress.historyRows();
    const projectsBefore = await progress.projects();
    const processMeter = new CpuMeter();
    const backendMeter = new CpuMeter();
    const pid = projector.app.child.pid;
    await processMeter.start(pid === undefined ? [] : [pid]);
    await backendMeter.start(await progress.backendPids('projector'));
    const wal = await progress.walPosition();

    const burst = await runBurst(bus.bus, progress, tenant, workload, BURST_TIMEOUT_MS);
    measured.burst = burst;
    if (burst.problem) measured.problems.push(`projector: ${burst.problem}`);

    const cpu = await processMeter.used(pid === undefined ? [] : [pid]);
    const backendCpu = await backendMeter.used(await progress.backendPids('projector'));
    const walBytes = await progress.walBytesSince(wal);
    measured.resources = {
      ...(cpu === undefined ? {} : { projectorCpuSeconds: cpu }),
      ...(backendCpu === undefined ? {} : { projectorBackendsCpuSeconds: backendCpu }),
      ...(burst.applied > 0 && Number.isFinite(walBytes)
        ? { walBytesPerEvent: walBytes / burst.applied }
        : {}),
    };
    measured.counts = {
      stateChanges: (await progress.stateChanges()) - stateChangesBefore,
      projects: (await progress.projects()) - projectsBefore,
      history: (await progress.historyRows()) - historyBefore,
    };
    measured.stop = await stopApp(projector.app);
    return measured;
  } finally {
    // Stopped already on success; this covers a failure on the way.
    await stopApp(projector.app);
    await bus?.close();
    await progress?.close();
    running = undefined;
  }
}

/** A batch of creates then a batch of updates on projects of their own, applied before the clock starts. */
async function warmUp(bus: OpenBus, progress: Progress, tenant: string): Promise<void> {
  const events = warmUpEvents(tenant, WARM_UP_PROJECTS);
  const target = (await progress.applied()) + events.length;
  await bus.bus.publish(TOPICS.projects, events.slice(0, WARM_UP_PROJECTS));
  await bus.bus.publish(TOPICS.projects, events.slice(WARM_UP_PROJECTS));
  const deadline = Date.now() + 60_000;
  while ((await progress.applied()) < target) {
    if (Date.now() > deadline) throw new Error('the projector did not apply the warm-up events within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function buildReport(databaseUrl: string, measured: Measured, ceilings: CeilingRow[]): ProjectorReport {
  const { workload, burst } = measured;
  const rate = burst?.problem === undefined ? burst?.eventsPerSecond : undefined;
  for (const ceiling of ceilings) {
    if (rate !== undefined) ceiling.ratio = rate / ceiling.rowsPerSecond;
  }
  const sequential: CeilingFigures | undefined = ceilings[0];
  const { samples = [], ...figures } = burst ?? { applied: 0 };
  const projector: ProjectorReport['projector'] = {
    ...figures,
    ...(rate !== undefined && sequential ? { ratio: rate / sequential.rowsPerSecond } : {}),
    ...(measured.counts.stateChanges === undefined
      ? {}
      : { stateChangesPublished: measured.counts.stateChanges }),
    ...(measured.counts.projects === undefined ? {} : { projectRows: measured.counts.projects }),
    ...(measured.counts.history === undefined ? {} : { historyRows: measured.counts.history }),
    ...(measured.stop === undefined ? {} : { stop: measured.stop }),
    timeline: timeline(samples),
  };
  return {
    date: new Date().toISOString(),
    machine: machineInfo(),
    database: { ...databaseServer(databaseUrl), version: measured.version },
    workload: {
      ...workload,
      creates: Math.min(workload.events, workload.projects),
      updates: Math.max(0, workload.events - workload.projects),
      projectorBatchSize: PROJECTOR_BATCH_SIZE,
      transport: 'postgres-log',
    },
    projector,
    resources: measured.resources,
    ceilings,
    aims: [aim(rate)],
    problems: measured.problems,
  };
}

function aim(eventsPerSecond: number | undefined): Aim {
  return aimOf(
    `projector >= ${AIM_EVENTS_PER_SECOND} events/s (first publish to last applied)`,
    eventsPerSecond,
    AIM_EVENTS_PER_SECOND,
    'events/s',
  );
}

/** The projector process while it runs: it is detached, so it must not outlive an aborted benchmark. */
let running: RunningProjector | undefined;

runBenchmark('projector benchmark', main, WATCHDOG_MS, () => killNow(running));
