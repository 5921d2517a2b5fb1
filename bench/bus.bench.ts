import path from 'node:path';
import { Logger } from '@nestjs/common';
import { loadConfig, PlatformConfig } from '@hub/config';
import { createTestDatabase, stopEmbeddedTestServer } from '../test/support/database.js';
import { startKafka, type KafkaAvailability } from '../test/support/kafka-mock.js';
import { measureBus, openBus, type BusFigures } from './support/bus-run.js';
import { checkpoint, measureRawKafka, measureRawPostgres } from './support/ceilings.js';
import {
  machineInfo,
  positiveInteger,
  printReport,
  writeReport,
  type Aim,
  type Row,
} from './support/report.js';
import { message, type Workload } from './support/workload.js';

/**
 * `npm run bench:bus`: throughput and latency of both bus transports, each next to a ceiling
 * measured in the same run on the same machine (raw kafkajs, raw Postgres inserts).
 *
 * Settings: BENCH_MESSAGES, and KAFKA_FETCH_MAX_WAIT_MS (else its default) for both Kafka rows;
 * the test support reads TEST_DATABASE_URL (else 127.0.0.1:5432, else an embedded Postgres) and
 * KAFKA_BROKERS (else the librdkafka mock cluster). Hop latency per fetch wait: bench:hop.
 */
const WORKLOAD: Workload = {
  messages: positiveInteger('BENCH_MESSAGES', 100_000),
  payloadBytes: 1024,
  batchSize: 500,
  inFlight: 4,
  keys: 1000,
  // ~8 MiB in flight: under half of the mock cluster's retention over its 4 partitions.
  maxUnconsumed: 8_000,
};
/** Per run, after warm-up: a transport this slow is reported with partial figures, not waited for. */
const RUN_TIMEOUT_MS = 90_000;
/** Last resort so the benchmark always ends, even if a close hangs. */
const WATCHDOG_MS = 10 * 60_000;
const RESULTS_FILE = path.resolve('bench/results/bus.json');
const AIM_KAFKA_SHARE_OF_RAW = 0.8;
const AIM_POSTGRES_LOG_MSGS_PER_SECOND = 10_000;

async function main(): Promise<void> {
  // The bus logs each subscription at `log` level; keep stdout for the figures.
  Logger.overrideLogger(['warn', 'error']);
  const database = await createTestDatabase();
  const kafka = await startKafka();
  let rows: Row[];
  try {
    rows = [...(await postgresRows(database.url)), ...(await kafkaRows(database.url, kafka))];
  } finally {
    if ('broker' in kafka) await kafka.broker.stop();
    await database.drop();
    await stopEmbeddedTestServer();
  }
  const report = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    workload: WORKLOAD,
    kafkaBroker: describeBroker(kafka),
    rows,
    aims: aims(rows),
  };
  printReport(report);
  await writeReport(report, RESULTS_FILE);
}

async function postgresRows(databaseUrl: string): Promise<Row[]> {
  await checkpoint(databaseUrl);
  const log = await attempt('postgres-log', () => busRun({ DATABASE_URL: databaseUrl }));
  await checkpoint(databaseUrl);
  const ceiling = await attempt('raw pg insert (ceiling)', () =>
    measureRawPostgres(databaseUrl, WORKLOAD, RUN_TIMEOUT_MS),
  );
  return compared(log, ceiling);
}

async function kafkaRows(databaseUrl: string, kafka: KafkaAvailability): Promise<Row[]> {
  if ('skip' in kafka) return [skipped('kafka', kafka.skip), skipped('raw kafkajs (ceiling)', kafka.skip)];
  // Same wiring as the tests: the mock cluster's differences from production applied on top.
  const env = {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: kafka.broker.brokers,
    ...kafka.broker.wiring,
    ...fetchWait(),
  };
  const transport = await attempt('kafka', () => busRun(env));
  const ceiling = await attempt('raw kafkajs (ceiling)', () =>
    measureRawKafka(loadConfig(PlatformConfig, env), WORKLOAD, RUN_TIMEOUT_MS),
  );
  return compared(transport, ceiling);
}

function fetchWait(): Record<string, string> {
  const wait = process.env.KAFKA_FETCH_MAX_WAIT_MS;
  return wait === undefined ? {} : { KAFKA_FETCH_MAX_WAIT_MS: wait };
}

async function busRun(env: Record<string, string>): Promise<BusFigures> {
  const { bus, close } = await openBus(env);
  try {
    return await measureBus(bus, WORKLOAD, RUN_TIMEOUT_MS);
  } finally {
    await close();
  }
}

/** Runs one measurement; a failure becomes a row saying so, and the other runs still happen. */
async function attempt(transport: string, measure: () => Promise<BusFigures>): Promise<Row> {
  try {
    const figures = await measure();
    return { transport, ...figures, msgsPerSecond: figures.messages / figures.seconds };
  } catch (error) {
    return { transport, messages: 0, problem: `failed: ${message(error)}` };
  }
}

function compared(transport: Row, ceiling: Row): Row[] {
  if (transport.msgsPerSecond === undefined || ceiling.msgsPerSecond === undefined)
    return [transport, ceiling];
  const ratio = transport.msgsPerSecond / ceiling.msgsPerSecond;
  return [{ ...transport, ceilingMsgsPerSecond: ceiling.msgsPerSecond, ratio }, ceiling];
}

function skipped(transport: string, reason: string): Row {
  return { transport, messages: 0, problem: `skipped: ${reason}` };
}

function aims(rows: Row[]): Aim[] {
  const find = (name: string) => rows.find((row) => row.transport === name);
  const percent = (ratio: number) => `${(ratio * 100).toFixed(0)} %`;
  const rate = (msgsPerSecond: number) => `${msgsPerSecond.toFixed(0)} msgs/s`;
  return [
    aim(
      `kafka transport >= ${percent(AIM_KAFKA_SHARE_OF_RAW)} of raw kafkajs`,
      find('kafka')?.ratio,
      AIM_KAFKA_SHARE_OF_RAW,
      percent,
    ),
    aim(
      `postgres-log >= ${rate(AIM_POSTGRES_LOG_MSGS_PER_SECOND)}`,
      find('postgres-log')?.msgsPerSecond,
      AIM_POSTGRES_LOG_MSGS_PER_SECOND,
      rate,
    ),
  ];
}

function aim(
  description: string,
  value: number | undefined,
  atLeast: number,
  format: (value: number) => string,
): Aim {
  if (value === undefined || !Number.isFinite(value))
    return { description, actual: 'not measured', status: 'SKIPPED' };
  return { description, actual: format(value), status: value >= atLeast ? 'MET' : 'MISSED' };
}

function describeBroker(kafka: KafkaAvailability): string {
  if ('skip' in kafka) return `skipped (${kafka.skip})`;
  return Object.keys(kafka.broker.wiring).length > 0
    ? 'librdkafka mock cluster'
    : `KAFKA_BROKERS=${kafka.broker.brokers}`;
}

setTimeout(() => {
  console.error(`bus benchmark: still running after ${WATCHDOG_MS / 60_000} minutes, giving up`);
  process.exit(1);
}, WATCHDOG_MS).unref();

// Exit explicitly: a kafkajs or pg timer left behind must not keep a finished benchmark alive.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
