import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Logger } from '@nestjs/common';
import { loadConfig } from '@hub/config';
import { DispatcherConfig } from '../apps/dispatcher/src/config/dispatcher.config.js';
import { createTestDatabase, stopEmbeddedTestServer } from '../test/support/database.js';
import { createTenant } from '../test/support/tenants.js';
import { openBus, type OpenBus } from './support/bus-run.js';
import { checkpoint } from './support/ceilings.js';
import { BareLoop, type Outbound, type RequestUnit } from './support/dispatch-ceiling.js';
import { BenchReceiver } from './support/dispatch-receiver.js';
import {
  printDispatchReport,
  row,
  type DispatcherPhase,
  type DispatchReport,
  type DispatchWorkload,
} from './support/dispatch-report.js';
import {
  changeUnits,
  DeliveryProgress,
  runPhase,
  startDispatcher,
  subscribe,
  TOPICS,
  type BenchSubscription,
  type ChangeUnit,
  type PhaseFigures,
  type RunningDispatcher,
} from './support/dispatch-run.js';
import { CpuMeter } from './support/projector-run.js';
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

/**
 * `npm run bench:dispatch`: how fast the dispatcher turns state changes into webhooks received by
 * a local endpoint, beside the dispatcher's own HTTP client posting the same webhooks in a bare loop.
 *
 * The dispatcher runs as a real process (`dist/apps/dispatcher/src/main.js`, Postgres-log bus, or
 * Kafka when KAFKA_BROKERS is set; every DISPATCH_* setting at its default) on a fresh database.
 * One tenant has SUBSCRIPTIONS subscriptions, made over the API and validated by the handshake,
 * all to one receiver: a keep-alive node:http server in a child process of its own (so its work
 * does not queue behind the benchmark's on one event loop) that answers 200 at once and records
 * each webhook-id with its arrival time.
 *
 * Burst: BENCH_DELIVERIES deliveries (default 20,000: 5,000 project changes of ~1 KB, each
 * matching every subscription), published as the projector publishes them, in batches of 500,
 * 4 in flight, as fast as the bus takes them. Figures: deliveries/s from the first publish to the
 * last receipt, the steady rate between 10 % and 90 % received, p50/p99 from the publish of a
 * change to the receipt of each of its webhooks, and how long after the last receipt the
 * deliveries table shows every one succeeded. Then paced: BENCH_PACED_RATE deliveries/s (default
 * 1,000) for 5 s, a publish every 100 ms, for latency when the dispatcher is not behind.
 *
 * Ceiling, with the dispatcher stopped: the dispatcher's own OutboundClient (same Agent, same
 * request code) in this process, posting the bodies the dispatcher built with the same signed
 * headers to the same receiver paths, as many in flight as the dispatcher may have over these
 * subscriptions; then the same paced schedule. The ratio is what counts: the machine is shared.
 *
 * Settings: BENCH_DELIVERIES, BENCH_PACED_RATE and BENCH_DISPATCHER_NODE_OPTIONS (NODE_OPTIONS for
 * the dispatcher process, e.g. `--import=/path/to/profiler.mjs`) are read here; the test support reads
 * TEST_DATABASE_URL (else 127.0.0.1:5432, else an embedded Postgres).
 */
const SUBSCRIPTIONS = 4;
const DELIVERIES = positiveInteger('BENCH_DELIVERIES', 20_000);
const PACED_RATE = positiveInteger('BENCH_PACED_RATE', 1_000);
const PACED_SECONDS = 5;
const TICK_MS = 100;
const ENTITIES = 1_000;
const BATCH_SIZE = 500;
const IN_FLIGHT = 4;
const WARM_UP_CHANGES = 100;
const AIM_DELIVERIES_PER_SECOND = 3_000;
const BURST_TIMEOUT_MS = 240_000;
const PACED_TIMEOUT_MS = 60_000;
const RECORDED_TIMEOUT_MS = 60_000;
/** Last resort so the benchmark always ends, even if a close hangs. */
const WATCHDOG_MS = 15 * 60_000;
const RESULTS_FILE = fileURLToPath(new URL('../../bench/results/dispatch.json', import.meta.url));

interface Measured {
  workload: DispatchWorkload;
  version: string;
  dispatcher: DispatchReport['dispatcher'];
  ceiling: DispatchReport['ceiling'];
  resources: DispatchReport['resources'];
  problems: string[];
}

async function main(): Promise<void> {
  // The bus logs each subscription at `log` level; keep stdout for the figures.
  Logger.overrideLogger(['warn', 'error']);
  const database = await createTestDatabase();
  let report: DispatchReport;
  try {
    receiver = await BenchReceiver.start();
    const measured = await measure(database.url, receiver);
    report = buildReport(database.url, measured);
  } finally {
    await receiver?.stop();
    await database
      .drop()
      .catch((error: unknown) => console.error(`could not drop the database: ${message(error)}`));
    await stopEmbeddedTestServer();
  }
  printDispatchReport(report);
  await writeReport(report, RESULTS_FILE);
}

async function measure(databaseUrl: string, receiver: BenchReceiver): Promise<Measured> {
  const kafka = process.env['KAFKA_BROKERS'];
  const busEnv: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    ...(kafka ? { KAFKA_BROKERS: kafka } : {}),
  };
  const env = {
    ...busEnv,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    OUTBOUND_ALLOW_HTTP: 'true',
    OUTBOUND_ALLOW_PRIVATE: 'true',
  };
  const config = loadConfig(DispatcherConfig, env);
  const dispatcher = await startDispatcher(env);
  running = dispatcher;
  let bus: OpenBus | undefined;
  let progress: DeliveryProgress | undefined;
  try {
    const tenant = await createTenant(env, 'Bench');
    const subscriptions: BenchSubscription[] = [];
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      subscriptions.push(await subscribe(dispatcher.base, tenant.api_key, receiver.url(`/hooks/${i}`)));
    }
    bus = await openBus(busEnv);
    progress = await DeliveryProgress.open(databaseUrl);
    const publish = async (unit: ChangeUnit) => bus!.bus.publish(TOPICS.stateChanges, unit.messages);

    const changes = Math.max(1, Math.ceil(DELIVERIES / SUBSCRIPTIONS));
    const burstUnits = changeUnits(tenant.tenant_id, 'bench', changes, ENTITIES, BATCH_SIZE, subscriptions);
    const perTick = Math.max(1, Math.round((PACED_RATE * TICK_MS) / 1000 / SUBSCRIPTIONS));
    const pacedChanges = perTick * Math.round((PACED_SECONDS * 1000) / TICK_MS);
    const pacedUnits = changeUnits(
      tenant.tenant_id,
      'paced',
      pacedChanges,
      pacedChanges,
      perTick,
      subscriptions,
    );
    const firstMessage = burstUnits[0]?.messages[0];
    const workload: DispatchWorkload = {
      deliveries: changes * SUBSCRIPTIONS,
      subscriptions: SUBSCRIPTIONS,
      changes,
      entities: Math.min(ENTITIES, changes),
      publishBatchSize: BATCH_SIZE,
      publishInFlight: IN_FLIGHT,
      changeBytes: firstMessage ? Buffer.byteLength(String(firstMessage.value)) : 0,
      bodyBytes: 0,
      transport: kafka ? `kafka (${kafka})` : 'postgres-log',
      dispatchConcurrency: config.DISPATCH_CONCURRENCY,
      endpointConcurrency: config.DISPATCH_ENDPOINT_CONCURRENCY,
      pollIntervalMs: config.DISPATCH_POLL_INTERVAL,
      ceilingConcurrency: Math.min(
        config.DISPATCH_CONCURRENCY,
        SUBSCRIPTIONS * config.DISPATCH_ENDPOINT_CONCURRENCY,
      ),
      paced: {
        deliveriesPerSecond: (perTick * SUBSCRIPTIONS * 1000) / TICK_MS,
        seconds: PACED_SECONDS,
        tickMs: TICK_MS,
        deliveries: pacedChanges * SUBSCRIPTIONS,
      },
    };
    const measured: Measured = {
      workload,
      version: await progress.serverVersion(),
      dispatcher: {},
      ceiling: {},
      resources: {},
      problems: [],
    };

    // Warm-up: the handshakes are done; one batch through every step before the clock starts.
    const warmUp = changeUnits(
      tenant.tenant_id,
      'warmup',
      WARM_UP_CHANGES,
      WARM_UP_CHANGES,
      WARM_UP_CHANGES,
      subscriptions,
    );
    await receiver.reset();
    const warm = await runPhase(receiver, warmUp, publish, { inFlight: 1 }, 60_000);
    if (warm.problem) throw new Error(`warm-up: ${warm.problem}`);
    let succeeded = warm.deliveries;
    if ((await progress.recordedAt(succeeded, 50, RECORDED_TIMEOUT_MS)) === undefined)
      throw new Error('the warm-up deliveries were not recorded succeeded within 60 s');

    // Burst.
    await receiver.reset();
    await checkpoint(databaseUrl);
    const pid = dispatcher.app.child.pid;
    const processMeter = new CpuMeter();
    const backendMeter = new CpuMeter();
    const receiverMeter = new CpuMeter();
    await processMeter.start(pid === undefined ? [] : [pid]);
    await backendMeter.start(await progress.backendPids('dispatcher'));
    await receiverMeter.start(receiver.pid === undefined ? [] : [receiver.pid]);
    const benchCpu = process.cpuUsage();
    const burst = await runPhase(receiver, burstUnits, publish, { inFlight: IN_FLIGHT }, BURST_TIMEOUT_MS);
    succeeded += burst.deliveries;
    measured.dispatcher.burst = await dispatcherPhase(burst, progress, burstUnits, succeeded);
    const benchUsed = process.cpuUsage(benchCpu);
    const cpu = await processMeter.used(pid === undefined ? [] : [pid]);
    const backendCpu = await backendMeter.used(await progress.backendPids('dispatcher'));
    const receiverCpu = await receiverMeter.used(receiver.pid === undefined ? [] : [receiver.pid]);
    measured.resources = {
      ...(cpu === undefined ? {} : { dispatcherCpuSeconds: cpu }),
      ...(backendCpu === undefined ? {} : { dispatcherBackendsCpuSeconds: backendCpu }),
      ...(receiverCpu === undefined ? {} : { receiverCpuSeconds: receiverCpu }),
      benchCpuSeconds: (benchUsed.user + benchUsed.system) / 1e6,
    };
    if (burst.problem) measured.problems.push(`dispatcher burst: ${burst.problem}`);

    // Paced.
    await receiver.reset();
    const paced = await runPhase(receiver, pacedUnits, publish, { intervalMs: TICK_MS }, PACED_TIMEOUT_MS);
    succeeded += paced.deliveries;
    measured.dispatcher.paced = await dispatcherPhase(paced, progress, pacedUnits, succeeded);
    if (paced.problem) measured.problems.push(`dispatcher paced: ${paced.problem}`);

    const burstBodies = await outboundOf(progress, burstUnits, subscriptions);
    const pacedBodies = await outboundOf(progress, pacedUnits, subscriptions);
    workload.bodyBytes = burstBodies[0]?.[0] ? Buffer.byteLength(burstBodies[0][0].body) : 0;
    measured.dispatcher.stop = await stopApp(dispatcher.app);

    // Ceiling: the dispatcher is stopped; its client alone, on the same bodies.
    await measureCeiling(config, receiver, burstBodies, pacedBodies, workload, measured);
    return measured;
  } finally {
    await stopApp(dispatcher.app);
    await bus?.close();
    await progress?.close();
    running = undefined;
  }
}

/** The receiver's figures, with when matching and recording were done, read from the deliveries table. */
async function dispatcherPhase(
  figures: PhaseFigures,
  progress: DeliveryProgress,
  units: ChangeUnit[],
  succeededTarget: number,
): Promise<DispatcherPhase> {
  const phase: DispatcherPhase = row(figures);
  if (figures.problem === undefined) {
    const recordedAt = await progress.recordedAt(succeededTarget, 50, RECORDED_TIMEOUT_MS);
    if (recordedAt !== undefined) {
      phase.recordedSeconds = (recordedAt - figures.startedAt) / 1000;
      if (figures.lastReceiptAt !== undefined)
        phase.recordingLagSeconds = Math.max(0, recordedAt - figures.lastReceiptAt) / 1000;
    }
  }
  const outcomes = await progress.outcomes(units.flatMap((unit) => unit.ids));
  phase.outcomes = outcomes;
  if (outcomes.lastMatchedAt !== undefined)
    phase.matchedSeconds = (outcomes.lastMatchedAt - figures.startedAt) / 1000;
  return phase;
}

/** Per unit, the webhooks the dispatcher built for it, read back from the deliveries table. */
async function outboundOf(
  progress: DeliveryProgress,
  units: ChangeUnit[],
  subscriptions: BenchSubscription[],
): Promise<Outbound[][]> {
  const bodies = await progress.bodies(units.flatMap((unit) => unit.ids));
  const byId = new Map(subscriptions.map((subscription) => [subscription.id, subscription]));
  return units.map((unit) =>
    unit.ids.flatMap((id) => {
      const stored = bodies.get(id);
      const subscription = stored && byId.get(stored.subscriptionId);
      return stored && subscription ? [{ id, subscription, body: stored.body }] : [];
    }),
  );
}

async function measureCeiling(
  config: DispatcherConfig,
  receiver: BenchReceiver,
  burstBodies: Outbound[][],
  pacedBodies: Outbound[][],
  workload: DispatchWorkload,
  measured: Measured,
): Promise<void> {
  const loop = new BareLoop(config);
  try {
    const requests = burstBodies.flat();
    if (requests.length < workload.deliveries)
      measured.problems.push(`ceiling: only ${requests.length} of ${workload.deliveries} bodies were stored`);
    await loop.warmUp(requests, workload.ceilingConcurrency);
    await receiver.reset();
    const burstUnits: RequestUnit[] = requests.map((one) => ({ ids: [one.id], requests: [one] }));
    const burst = await loop.run(
      receiver,
      burstUnits,
      { inFlight: workload.ceilingConcurrency },
      BURST_TIMEOUT_MS,
    );
    measured.ceiling.burst = row(burst);
    if (burst.problem) measured.problems.push(`ceiling burst: ${burst.problem}`);
    await receiver.reset();
    const pacedUnits: RequestUnit[] = pacedBodies.map((requests) => ({
      ids: requests.map((one) => one.id),
      requests,
    }));
    const paced = await loop.run(receiver, pacedUnits, { intervalMs: TICK_MS }, PACED_TIMEOUT_MS);
    measured.ceiling.paced = row(paced);
    if (paced.problem) measured.problems.push(`ceiling paced: ${paced.problem}`);
  } catch (error) {
    measured.problems.push(`ceiling: failed: ${message(error)}`);
  } finally {
    loop.close();
  }
}

function buildReport(databaseUrl: string, measured: Measured): DispatchReport {
  return {
    date: new Date().toISOString(),
    machine: machineInfo(),
    database: { ...databaseServer(databaseUrl), version: measured.version },
    workload: measured.workload,
    dispatcher: measured.dispatcher,
    ceiling: measured.ceiling,
    resources: measured.resources,
    aims: [aim(measured.dispatcher.burst)],
    problems: measured.problems,
  };
}

function aim(burst: DispatcherPhase | undefined): Aim {
  const rate = burst?.problem === undefined ? burst?.perSecond : undefined;
  return aimOf(
    `dispatcher >= ${AIM_DELIVERIES_PER_SECOND} deliveries/s (first publish to last receipt)`,
    rate,
    AIM_DELIVERIES_PER_SECOND,
    'deliveries/s',
  );
}

/** The dispatcher and receiver while they run: they must not outlive an aborted benchmark. */
let running: RunningDispatcher | undefined;
let receiver: BenchReceiver | undefined;

runBenchmark('dispatch benchmark', main, WATCHDOG_MS, () => {
  killNow(running);
  receiver?.kill();
});
