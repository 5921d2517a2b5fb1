import { fileURLToPath } from 'node:url';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { PostgresLogBus, type OutgoingMessage } from '@hub/bus';
import { loadConfig, PlatformConfig } from '@hub/config';
import { busSettings } from '@hub/runtime';
import { unique } from '../test/support/collector.js';
import { createTestDatabase, stopEmbeddedTestServer } from '../test/support/database.js';
import { openDatabase } from '../test/support/transports.js';
import {
  appendTotals,
  closedLoop,
  ingestLikePayload,
  rawBatchInserter,
  sequenceAppender,
  type Call,
  type LoopFigures,
} from './support/append-run.js';
import { checkpoint } from './support/ceilings.js';
import { runBenchmark } from './support/guard.js';
import {
  databaseServer,
  fixed,
  machineInfo,
  positiveInteger,
  printTable,
  writeFormattedReport,
} from './support/report.js';
import { message as errorMessage } from './support/workload.js';

/**
 * `npm run bench:append`: what the Postgres log's write path costs per message when many requests
 * each publish one message, as ingest does. The figures in bench/results/append.json come from
 * `npm run bench:append`, one run on the shared 2-core machine: compare rows of one run, not runs.
 *
 * CALLERS callers each publish one message of ~2 KiB (a JSON body like an ingest request) in a
 * closed loop for BENCH_SECONDS (default 8) after a short warm-up, on one database, once with every
 * caller on one key (one hot partition: the raw-delivery topic is keyed by source) and once over
 * 1000 keys (8 partitions). Per key spread:
 *   (a) per-call transactions: `dataSource.transaction(m => bus.append(m, topic, [message]))`, the
 *       design before group commit: each call holds its partition's row lock across its own commit;
 *       the DataSource's pool (10, the apps' default) bounds the transactions in flight;
 *   (b) group commit: `bus.publish(topic, [message])`, BUS_PUBLISH_LINGER_MS 0;
 *   (c) group commit with a 2 ms linger;
 *   (d) offsets from one SEQUENCE per partition, no row lock, one INSERT (its own transaction) per
 *       call into a copy of bus_messages (same columns and primary key), with the bus's NOTIFY.
 *       NOT safe for readers as is (rows commit out of offset order, a reader can skip one): it
 *       bounds what removing the lock could buy;
 *   (d') the same without NOTIFY: Postgres serialises the commits of all transactions that NOTIFY
 *       (PreCommit_Notify takes a cluster-wide lock held through the commit, so notifications queue
 *       in commit order), which bounds (a) and (d) whatever the row locks do;
 *   (e) ceiling: the same rows, unnest INSERTs into a table without key or index, in batches of
 *       (b)'s mean messages per append (hub_bus_append_messages, read in this process), one
 *       transaction in flight as in (b); its latency is that of one INSERT, not of a call.
 * Transactions/s: calls/s for (a), (d), (d'); appends/s (the histogram's count) for (b), (c);
 * INSERTs/s for (e).
 *
 * Settings: BENCH_SECONDS is the only variable read here; the test support reads
 * TEST_DATABASE_URL (else 127.0.0.1:5432, else an embedded Postgres).
 */
const CALLERS = 32;
const PAYLOAD_BYTES = 2048;
const SECONDS = positiveInteger('BENCH_SECONDS', 8);
const WARM_UP_SECONDS = 0.5;
const PARTITIONS = 8;
const LINGER_MS = 2;
const SPREADS: Spread[] = [
  { name: 'one key', keys: 1 },
  { name: '1000 keys', keys: 1000 },
];
const WATCHDOG_MS = 5 * 60_000;
const RESULTS_FILE = fileURLToPath(new URL('../../bench/results/append.json', import.meta.url));

interface Spread {
  name: string;
  keys: number;
}

interface AppendRow {
  variant: string;
  keys: string;
  messages: number;
  seconds?: number;
  msgsPerSecond?: number;
  p50Ms?: number;
  p99Ms?: number;
  transactionsPerSecond?: number;
  messagesPerAppend?: number;
  problem?: string;
}

/** What every variant shares: one database, one DataSource, two buses differing only in linger. */
interface Bench {
  dataSource: DataSource;
  databaseUrl: string;
  bus: PostgresLogBus;
  lingeringBus: PostgresLogBus;
  payload: string;
}

async function main(): Promise<void> {
  Logger.overrideLogger(['warn', 'error']);
  const database = await createTestDatabase();
  const dataSource = await openDatabase(database.url);
  const bench: Bench = {
    dataSource,
    databaseUrl: database.url,
    bus: postgresLogBus(dataSource, database.url, 0),
    lingeringBus: postgresLogBus(dataSource, database.url, LINGER_MS),
    payload: ingestLikePayload(PAYLOAD_BYTES),
  };
  const rows: AppendRow[] = [];
  let version: string;
  try {
    version = await serverVersion(dataSource);
    for (const spread of SPREADS) rows.push(...(await spreadRows(bench, spread)));
  } finally {
    await dataSource.destroy().catch(() => undefined);
    await database.drop();
    await stopEmbeddedTestServer();
  }
  const report = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    database: { ...databaseServer(database.url), version },
    workload: {
      callers: CALLERS,
      messagesPerCall: 1,
      payloadBytes: Buffer.byteLength(bench.payload),
      seconds: SECONDS,
      partitions: PARTITIONS,
      lingerMs: LINGER_MS,
      poolSize: 10,
    },
    rows,
  };
  printAppendReport(rows);
  await writeFormattedReport(report, RESULTS_FILE);
}

function postgresLogBus(dataSource: DataSource, databaseUrl: string, lingerMs: number): PostgresLogBus {
  const config = loadConfig(PlatformConfig, {
    DATABASE_URL: databaseUrl,
    BUS_PARTITIONS: String(PARTITIONS),
    BUS_PUBLISH_LINGER_MS: String(lingerMs),
  });
  return new PostgresLogBus(dataSource, busSettings(config, 'bench'));
}

async function spreadRows(bench: Bench, spread: Spread): Promise<AppendRow[]> {
  const message = messageFor(bench.payload, spread);
  const rows = [
    await attempt('(a) per-call transactions', spread, () => perCallTransactions(bench, message)),
    await attempt('(b) group commit', spread, () => groupCommit(bench.bus, bench, message)),
    await attempt(`(c) group commit, ${LINGER_MS} ms linger`, spread, () =>
      groupCommit(bench.lingeringBus, bench, message),
    ),
    await attempt('(d) sequence, no lock', spread, () => sequenceOffsets(bench, message, true)),
    await attempt("(d') sequence, no lock, no NOTIFY", spread, () => sequenceOffsets(bench, message, false)),
  ];
  const batchSize = Math.round(rows[1]?.messagesPerAppend ?? 0);
  rows.push(
    batchSize > 0
      ? await attempt('(e) raw INSERT (ceiling)', spread, () => rawInserts(bench, message, batchSize))
      : {
          variant: '(e) raw INSERT (ceiling)',
          keys: spread.name,
          messages: 0,
          problem: 'no batch size from (b)',
        },
  );
  return rows;
}

type Measured = Omit<AppendRow, 'variant' | 'keys'>;

async function perCallTransactions(bench: Bench, message: MessageAt): Promise<Measured> {
  const topic = unique('bench-append-call');
  // Create the topic first: append() inside a transaction would otherwise create it on another
  // pooled connection, and ten callers holding the whole pool while they wait for it starve it.
  await bench.bus.latestOffsets(topic);
  const figures = await measure(bench, (index) =>
    bench.dataSource.transaction((manager) => bench.bus.append(manager, topic, [message(index)])),
  );
  return measured(figures, 1, figures.calls);
}

async function groupCommit(bus: PostgresLogBus, bench: Bench, message: MessageAt): Promise<Measured> {
  const topic = unique('bench-append-group');
  let before = { appends: 0, messages: 0 };
  const figures = await measure(
    bench,
    (index) => bus.publish(topic, [message(index)]),
    async () => void (before = await appendTotals()),
  );
  const after = await appendTotals();
  const appends = after.appends - before.appends;
  return {
    ...measured(figures, 1, appends),
    messagesPerAppend: (after.messages - before.messages) / appends,
  };
}

async function sequenceOffsets(bench: Bench, message: MessageAt, notify: boolean): Promise<Measured> {
  const append = await sequenceAppender(bench.dataSource, unique('bench-append-seq'), PARTITIONS, notify);
  const figures = await measure(bench, (index) => append(message(index)));
  return measured(figures, 1, figures.calls);
}

async function rawInserts(bench: Bench, message: MessageAt, batchSize: number): Promise<Measured> {
  const insert = await rawBatchInserter(bench.dataSource, unique('bench-append-raw'), PARTITIONS, batchSize);
  const figures = await measure(bench, () => insert(message), undefined, 1);
  return { ...measured(figures, batchSize, figures.calls), messagesPerAppend: batchSize };
}

/**
 * A warm-up (creates the topic, fills the pool), a CHECKPOINT so no leftover one lands in the run,
 * then the measured closed loop. `beforeRun` runs between the two, with every caller idle.
 */
async function measure(
  bench: Bench,
  call: Call,
  beforeRun?: () => Promise<void>,
  callers = CALLERS,
): Promise<LoopFigures> {
  await closedLoop(callers, WARM_UP_SECONDS, call);
  await checkpoint(bench.databaseUrl);
  await beforeRun?.();
  return closedLoop(callers, SECONDS, call);
}

function measured(figures: LoopFigures, messagesPerCall: number, transactions: number): Measured {
  const messages = figures.calls * messagesPerCall;
  return {
    messages,
    seconds: figures.seconds,
    msgsPerSecond: messages / figures.seconds,
    ...(figures.p50Ms === undefined ? {} : { p50Ms: figures.p50Ms }),
    ...(figures.p99Ms === undefined ? {} : { p99Ms: figures.p99Ms }),
    transactionsPerSecond: transactions / figures.seconds,
  };
}

/** Runs one variant; a failure becomes a row saying so, and the other variants still run. */
async function attempt(variant: string, spread: Spread, run: () => Promise<Measured>): Promise<AppendRow> {
  try {
    return { variant, keys: spread.name, ...(await run()) };
  } catch (error) {
    return { variant, keys: spread.name, messages: 0, problem: `failed: ${errorMessage(error)}` };
  }
}

type MessageAt = (index: number) => OutgoingMessage;

/** The `index`th message: every one on the same key, or keys taken in turn. */
function messageFor(payload: string, spread: Spread): MessageAt {
  return (index) => ({
    key: `source-${index % spread.keys}`,
    value: payload,
    headers: { 'content-type': 'application/json' },
  });
}

async function serverVersion(dataSource: DataSource): Promise<string> {
  const rows = (await dataSource.query('SHOW server_version')) as Array<{ server_version: string }>;
  return rows[0]?.server_version ?? 'unknown';
}

function printAppendReport(rows: AppendRow[]): void {
  console.log(
    `\nappend benchmark: ${CALLERS} callers x 1 message of ~${PAYLOAD_BYTES} B, closed loop, ${SECONDS} s per row, ` +
      `${PARTITIONS} partitions`,
  );
  const machine = machineInfo();
  console.log(`${machine.cpuCount} x ${machine.cpuModel}, node ${machine.node}\n`);
  printTable([
    ['variant', 'keys', 'msgs/s', 'p50 ms', 'p99 ms', 'tx/s', 'msgs/append'],
    ...rows.map((row) => [
      row.variant,
      row.keys,
      fixed(row.msgsPerSecond, 0),
      fixed(row.p50Ms, 1),
      fixed(row.p99Ms, 1),
      fixed(row.transactionsPerSecond, 0),
      fixed(row.messagesPerAppend, 1),
    ]),
  ]);
  const problems = rows.filter((row) => row.problem);
  if (problems.length > 0) console.log('\nproblems:');
  problems.forEach((row) => console.log(`  ${row.variant}, ${row.keys}: ${row.problem}`));
}

runBenchmark('append benchmark', main, WATCHDOG_MS, () => undefined);
