import path from 'node:path';
import { Logger } from '@nestjs/common';
import { createTestDatabase, stopEmbeddedTestServer } from '../test/support/database.js';
import { startKafka, type KafkaAvailability, type KafkaBroker } from '../test/support/kafka-mock.js';
import { measureBus, measureHop, openBus, type BusFigures, type HopFigures } from './support/bus-run.js';
import { runBenchmark } from './support/guard.js';
import { machineInfo, positiveInteger, printTable, writeFormattedReport } from './support/report.js';
import { message, type Workload } from './support/workload.js';

/**
 * `npm run bench:hop`: one bus hop (publish → handler start) with the consumer idle between
 * messages, and consume throughput, for the Postgres log and for Kafka at each fetch wait.
 *
 * Settings: BENCH_FETCH_WAITS (KAFKA_FETCH_MAX_WAIT_MS values, default 500,100,50,20,10),
 * BENCH_HOP_MESSAGES (default 250) sent at BENCH_HOP_RATE msgs/s (default 50), BENCH_MESSAGES
 * for the throughput run (default 20000). KAFKA_BROKERS picks a real broker, else the librdkafka
 * mock cluster; TEST_DATABASE_URL as for the tests.
 */
const FETCH_WAITS = (process.env.BENCH_FETCH_WAITS ?? '500,100,50,20,10')
  .split(',')
  .filter((value) => value.trim() !== '')
  .map(Number);
const HOP = {
  messages: positiveInteger('BENCH_HOP_MESSAGES', 250),
  perSecond: positiveInteger('BENCH_HOP_RATE', 50),
};
/** bench:bus's workload, shorter: only the comparison between fetch waits matters here. */
const WORKLOAD: Workload = {
  messages: positiveInteger('BENCH_MESSAGES', 20_000),
  payloadBytes: 1024,
  batchSize: 500,
  inFlight: 4,
  keys: 1000,
  maxUnconsumed: 8_000,
};
const RUN_TIMEOUT_MS = 60_000;
const WATCHDOG_MS = 15 * 60_000;

interface HopRow {
  transport: string;
  fetchWaitMs?: number;
  hop: HopFigures | { problem: string };
  load: (BusFigures & { msgsPerSecond: number }) | { problem: string };
}

async function main(): Promise<void> {
  Logger.overrideLogger(['warn', 'error']);
  const database = await createTestDatabase();
  // No fetch waits to try: a Postgres-log run alone, without starting (or naming) a Kafka broker.
  const kafka: KafkaAvailability =
    FETCH_WAITS.length > 0 ? await startKafka() : { skip: 'BENCH_FETCH_WAITS is empty' };
  const rows: HopRow[] = [];
  try {
    rows.push(await run('postgres-log', { DATABASE_URL: database.url }));
    if ('broker' in kafka) {
      const name = brokerName(kafka.broker);
      for (const wait of FETCH_WAITS) {
        const env = {
          DATABASE_URL: database.url,
          KAFKA_BROKERS: kafka.broker.brokers,
          ...kafka.broker.wiring,
          KAFKA_FETCH_MAX_WAIT_MS: String(wait),
        };
        rows.push({ ...(await run(name, env)), fetchWaitMs: wait });
      }
    } else if ('skip' in kafka) console.log(`kafka skipped: ${kafka.skip}`);
  } finally {
    if ('broker' in kafka) await kafka.broker.stop();
    await database.drop();
    await stopEmbeddedTestServer();
  }
  print(rows);
  const file = path.resolve(`bench/results/hop-${'broker' in kafka ? brokerName(kafka.broker) : 'pg'}.json`);
  const report = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    hop: HOP,
    workload: WORKLOAD,
    rows,
  };
  await writeFormattedReport(report, file);
}

async function run(transport: string, env: Record<string, string>): Promise<HopRow> {
  const { bus, close } = await openBus(env);
  try {
    const hop = await attempt(() => measureHop(bus, HOP, RUN_TIMEOUT_MS));
    const load = await attempt(async () => {
      const figures = await measureBus(bus, WORKLOAD, RUN_TIMEOUT_MS);
      return { ...figures, msgsPerSecond: figures.messages / figures.seconds };
    });
    return { transport, hop, load };
  } finally {
    await close();
  }
}

async function attempt<T>(measure: () => Promise<T>): Promise<T | { problem: string }> {
  try {
    return await measure();
  } catch (error) {
    return { problem: `failed: ${message(error)}` };
  }
}

function brokerName(broker: KafkaBroker): string {
  return Object.keys(broker.wiring).length > 0 ? 'kafka-mock' : 'kafka-real';
}

function print(rows: HopRow[]): void {
  const ms = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(1));
  const get = <K extends string>(figures: object, key: K): number | undefined =>
    (figures as Partial<Record<K, number>>)[key];
  console.log(
    `\nhop: ${HOP.messages} single messages at ${HOP.perSecond}/s; load: ${WORKLOAD.messages} messages\n`,
  );
  printTable([
    [
      'transport',
      'fetch wait ms',
      'hop p50',
      'hop p95',
      'hop p99',
      'after ack p50',
      'after ack p99',
      'idle cpu ms/s',
      'paced cpu ms/s',
      'msgs/s',
      'load p50',
      'load p99',
      'problem',
    ],
    ...rows.map((row) => [
      row.transport,
      row.fetchWaitMs === undefined ? '-' : String(row.fetchWaitMs),
      ms(get(row.hop, 'p50Ms')),
      ms(get(row.hop, 'p95Ms')),
      ms(get(row.hop, 'p99Ms')),
      ms('afterAck' in row.hop ? row.hop.afterAck.p50Ms : undefined),
      ms('afterAck' in row.hop ? row.hop.afterAck.p99Ms : undefined),
      ms(get(row.hop, 'idleCpuMsPerSecond')),
      ms(get(row.hop, 'pacedCpuMsPerSecond')),
      get(row.load, 'msgsPerSecond')?.toFixed(0) ?? '-',
      ms(get(row.load, 'p50Ms')),
      ms(get(row.load, 'p99Ms')),
      [row.hop, row.load]
        .map((figures) => (figures as { problem?: string }).problem ?? '')
        .join(' ')
        .trim() || '-',
    ]),
  ]);
}

runBenchmark('hop benchmark', main, WATCHDOG_MS, () => undefined);
