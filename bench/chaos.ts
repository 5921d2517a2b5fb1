import { fileURLToPath } from 'node:url';
import type { TransportName } from '@hub/bus';
import type { AppName } from '../test/support/app-process.js';
import { Receiver } from '../test/support/receiver.js';
import { postJson } from '../test/support/tenants.js';
import {
  conflictingBodies,
  lossOf,
  missingFromRawTopic,
  settle,
  type ChaosVerdict,
} from './support/chaos-checks.js';
import { runSenders, seededRandom } from './support/chaos-senders.js';
import { SystemUnderTest } from './support/system.js';
import { machineInfo, positiveInteger, printTable, writeReport } from './support/report.js';

/**
 * `npm run chaos`: a bounded soak of the whole system under faults, on each transport. Signed
 * Pylon Observer batches go into ingest at a fixed rate while the run SIGKILLs the projector and
 * the dispatcher at random moments and restarts them, takes the webhook receiver down for a
 * while, restarts Postgres, and (on the Kafka mock) takes the broker down. Then, with the faults
 * over, it waits for the system to catch up and checks: every project's read model is at the
 * last version ingest accepted; every one of its versions reached the receiver; no webhook-id
 * came with two bodies; every accepted event is accounted for on the raw topic. Exit 1 on any loss.
 *
 * Settings: CHAOS_SECONDS (soak per transport, default 60), CHAOS_SEED (default: the time),
 * CHAOS_RATE (requests/s, default 20), CHAOS_TRANSPORTS (default postgres-log,kafka).
 */
const SECONDS = positiveInteger('CHAOS_SECONDS', 60);
const SEED = positiveInteger('CHAOS_SEED', Date.now() % 1_000_000_007);
const RATE = positiveInteger('CHAOS_RATE', 20);
const SETTLE_MS = 180_000;
const RECEIVER_PATH = '/chaos';
/**
 * What differs from production here: the default retry schedule waits 5 min after the second
 * failure, longer than a bounded soak lasts.
 */
const CHAOS_WIRING = {
  DISPATCH_RETRY_SCHEDULE: '1s,2s,4s,8s,8s,8s,8s,8s,8s,8s,8s,8s,8s,8s,8s',
  DISPATCH_TIMEOUT: '2s',
};

interface Fault {
  atMs: number;
  name: string;
  run(): Promise<void>;
}

interface TransportReport {
  transport: TransportName;
  faults: string[];
  requests: { accepted: number; unchanged: number; retried: number; refusedWith: Record<string, number> };
  verdict?: ChaosVerdict;
  loss: number;
  problem?: string;
}

async function runTransport(transport: TransportName): Promise<TransportReport> {
  const random = seededRandom(SEED + (transport === 'kafka' ? 1 : 0));
  const system = new SystemUnderTest(transport, CHAOS_WIRING);
  const receiver = await new Receiver().start();
  const report: TransportReport = {
    transport,
    faults: [],
    requests: { accepted: 0, unchanged: 0, retried: 0, refusedWith: {} },
    loss: 0,
  };
  try {
    await system.start();
    const apiKey = system.tenant.api_key;
    const source = await postJson(system.urls.ingest, apiKey, '/v1/sources', {
      provider: 'pylon-observer',
      name: 'Pylon under chaos',
      secret: 'pylon-chaos-secret-of-20+-chars',
    });
    await postJson(system.urls.dispatcher, apiKey, '/v1/subscriptions', {
      endpoint: receiver.url(RECEIVER_PATH),
    });

    const started = Date.now();
    const stopAt = started + SECONDS * 1_000;
    const faults = schedule(system, receiver, random);
    // Traffic runs until the soak time is over and every fault has happened, so none falls in silence.
    let faultsDone = false;
    const senders = runSenders({
      ingestUrl: system.urls.ingest,
      sourceId: source['id']!,
      secret: 'pylon-chaos-secret-of-20+-chars',
      senders: 4,
      projectsPerSender: 25,
      requestsPerSecond: RATE,
      until: () => faultsDone && Date.now() >= stopAt,
      random,
    });
    for (const fault of faults) {
      const wait = started + fault.atMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const at = ((Date.now() - started) / 1_000).toFixed(1);
      await fault.run();
      report.faults.push(`${at} s: ${fault.name}`);
      console.log(`  [${transport}] ${at} s: ${fault.name}`);
    }
    faultsDone = true;
    const ledger = await senders;
    report.requests = ledger.requests;
    await system.ensureRunning();

    const { wrongState, undelivered } = await settle(
      system.urls.projector,
      apiKey,
      ledger,
      receiver,
      RECEIVER_PATH,
      SETTLE_MS,
    );
    const raw = await missingFromRawTopic(system.busEnv, ledger.acceptedEventIds);
    report.verdict = {
      projects: ledger.lastVersion.size,
      acceptedEvents: ledger.acceptedEventIds.length,
      wrongState,
      undelivered,
      conflictingBodies: conflictingBodies(receiver, RECEIVER_PATH),
      missingFromRawTopic: raw.missing,
      webhooksReceived: receiver.at(RECEIVER_PATH).length,
      distinctWebhooks: new Set(receiver.at(RECEIVER_PATH).map((r) => r.headers['webhook-id'])).size,
      rawDeliveries: raw.rawDeliveries,
    };
    report.loss = lossOf(report.verdict);
  } catch (error) {
    report.problem = (error as Error).message;
    report.loss = Number.NaN;
  } finally {
    await system.stop().catch(() => undefined);
    await receiver.stop().catch(() => undefined);
  }
  if (report.loss !== 0) console.log(system.logs.slice(-40).join('\n'));
  return report;
}

/** Faults at seeded random moments of the soak, each finished before the next starts. */
function schedule(system: SystemUnderTest, receiver: Receiver, random: () => number): Fault[] {
  const span = SECONDS * 1_000;
  const at = (from: number, to: number) => Math.round(span * (from + random() * (to - from)));
  const kill = (name: AppName): Fault => ({
    atMs: at(0.1, 0.9),
    name: `SIGKILL ${name}, restart`,
    run: async () => {
      await system.kill(name);
      await new Promise((resolve) => setTimeout(resolve, 500 + random() * 1_500));
      await system.startApp(name);
    },
  });
  const faults: Fault[] = [
    ...Array.from({ length: Math.max(2, Math.round(SECONDS / 20)) }, () => kill('projector')),
    ...Array.from({ length: Math.max(2, Math.round(SECONDS / 20)) }, () => kill('dispatcher')),
    {
      atMs: at(0.2, 0.4),
      name: 'receiver down for 10 s',
      run: async () => {
        await receiver.down();
        await new Promise((resolve) => setTimeout(resolve, 10_000));
        await receiver.up();
      },
    },
    {
      atMs: at(0.45, 0.65),
      name: 'Postgres restarted (3 s down)',
      run: () => system.restartPostgres(3_000),
    },
  ];
  if (system.canPauseBroker) {
    faults.push({
      atMs: at(0.7, 0.85),
      name: 'Kafka broker down for 5 s',
      run: () => system.pauseBroker(5_000),
    });
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

function printSummary(reports: TransportReport[]): void {
  const cell = (report: TransportReport, value: (v: ChaosVerdict) => number) =>
    report.verdict ? String(value(report.verdict)) : '-';
  printTable([
    [
      'transport',
      'accepted req',
      'retried',
      'projects',
      'events',
      'webhooks',
      'wrong state',
      'undelivered',
      'two bodies',
      'not on raw',
      'loss',
    ],
    ...reports.map((r) => [
      r.transport,
      String(r.requests.accepted),
      String(r.requests.retried),
      cell(r, (v) => v.projects),
      cell(r, (v) => v.acceptedEvents),
      cell(r, (v) => v.distinctWebhooks),
      cell(r, (v) => v.wrongState.length),
      cell(r, (v) => v.undelivered.length),
      cell(r, (v) => v.conflictingBodies.length),
      cell(r, (v) => v.missingFromRawTopic.length),
      Number.isNaN(r.loss) ? 'FAILED' : String(r.loss),
    ]),
  ]);
  for (const report of reports) {
    if (report.problem) console.log(`\n${report.transport}: ${report.problem}`);
    const v = report.verdict;
    if (!v || report.loss === 0) continue;
    for (const [label, items] of [
      ['wrong state', v.wrongState],
      ['undelivered', v.undelivered],
      ['two bodies', v.conflictingBodies],
      ['not on the raw topic', v.missingFromRawTopic],
    ] as const) {
      if (items.length > 0) console.log(`${report.transport} ${label}: ${items.slice(0, 10).join(', ')}`);
    }
  }
}

async function main(): Promise<void> {
  const transports = (process.env['CHAOS_TRANSPORTS'] ?? 'postgres-log,kafka').split(',') as TransportName[];
  console.log(`chaos: ${SECONDS} s per transport, seed ${SEED}, ${RATE} requests/s`);
  const reports: TransportReport[] = [];
  for (const transport of transports) reports.push(await runTransport(transport));
  printSummary(reports);
  await writeReport(
    {
      date: new Date().toISOString(),
      machine: machineInfo(),
      seed: SEED,
      seconds: SECONDS,
      rate: RATE,
      reports,
    },
    fileURLToPath(new URL('../../bench/results/chaos.json', import.meta.url)),
  );
  const lost = reports.some((report) => report.loss !== 0);
  console.log(lost ? '\nLOSS: see above' : '\nzero loss on every transport');
  process.exit(lost ? 1 : 0);
}

void main();
