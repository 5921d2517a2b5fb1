import { Kafka, logLevel, Partitioners } from 'kafkajs';
import pg from 'pg';
import { consumerFetchConfig } from '@hub/bus';
import type { PlatformConfig } from '@hub/config';
import { kafkaFetchSettings } from '@hub/runtime';
import { unique } from '../../test/support/collector.js';
import { Arrivals, timedRun, warmUp, type BenchMessage, type RunFigures, type Workload } from './workload.js';

/**
 * What kafkajs alone does against the same broker with the same workload: one producer.sendBatch
 * per batch of the workload (as the bus's group commit sends one produce request per append),
 * with acks -1, eachBatch doing nothing per message, kafkajs committing on its own. Client,
 * producer (idempotence) and consumer settings mirror KafkaBus so the only difference is the
 * bus's own work.
 */
export async function measureRawKafka(
  config: PlatformConfig,
  workload: Workload,
  timeoutMs: number,
): Promise<RunFigures> {
  const kafka = new Kafka({
    clientId: `${config.KAFKA_CLIENT_ID}-bench-raw`,
    brokers: config.KAFKA_BROKERS ?? [],
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    logLevel: logLevel.WARN,
  });
  const topic = unique('bench-raw-kafka');
  if (config.KAFKA_CREATE_TOPICS) await createTopic(kafka, topic, config);
  const producer = kafka.producer({
    idempotent: config.KAFKA_IDEMPOTENT,
    maxInFlightRequests: config.KAFKA_IDEMPOTENT ? 5 : undefined,
    allowAutoTopicCreation: !config.KAFKA_CREATE_TOPICS,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const consumer = kafka.consumer({
    groupId: unique('bench-raw'),
    sessionTimeout: config.KAFKA_SESSION_TIMEOUT_MS,
    heartbeatInterval: Math.max(500, Math.floor(config.KAFKA_SESSION_TIMEOUT_MS / 10)),
    allowAutoTopicCreation: !config.KAFKA_CREATE_TOPICS,
    // The transport's own fetch settings: on the mock cluster the wait decides how soon a fetch returns.
    ...consumerFetchConfig(kafkaFetchSettings(config)),
  });
  const arrivals = new Arrivals();
  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachBatch: async ({ batch }) => arrivals.add(batch.messages.length) });
    const send = async (messages: BenchMessage[]) => {
      await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
    };
    await warmUp(send, arrivals);
    return await timedRun(workload, send, arrivals, timeoutMs);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
  }
}

async function createTopic(kafka: Kafka, topic: string, config: PlatformConfig): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic, numPartitions: config.BUS_PARTITIONS, replicationFactor: config.KAFKA_REPLICATION_FACTOR },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

/**
 * What Postgres alone does with the same rows: a plain pg Pool, one unnest INSERT per batch into
 * a table with no keys or indexes, each its own transaction (autocommit), as many in flight as
 * the workload says (the bus's group commit: one append in flight per process). Insert only:
 * there is no consumer, so this is a ceiling for the log's write path, which is what it must
 * keep up with.
 */
export async function measureRawPostgres(
  databaseUrl: string,
  workload: Workload,
  timeoutMs: number,
): Promise<RunFigures> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  // An idle connection ended by the server is not a failure of the measurement; without a
  // listener it would crash the process.
  pool.on('error', () => undefined);
  const table = unique('bench_raw').replace('-', '_');
  const arrivals = new Arrivals();
  try {
    await pool.query(
      `CREATE TABLE ${table} (key text NOT NULL, value bytea NOT NULL, headers jsonb NOT NULL)`,
    );
    const insert = async (batch: BenchMessage[]) => {
      await pool.query(
        `INSERT INTO ${table} (key, value, headers) SELECT * FROM unnest($1::text[], $2::bytea[], $3::jsonb[])`,
        [batch.map((m) => m.key), batch.map((m) => m.value), batch.map((m) => JSON.stringify(m.headers))],
      );
      arrivals.add(batch.length);
    };
    await warmUp(insert, arrivals);
    return await timedRun(workload, insert, arrivals, timeoutMs);
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/**
 * Flushes dirty pages before a Postgres run, so a checkpoint left over from the previous run
 * does not land in the middle of this one. Needs superuser; without it the run just goes on.
 */
export async function checkpoint(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
    await client.query('CHECKPOINT');
  } catch {
    // Not allowed or not reachable: the next query will say which, with a better message.
  } finally {
    await client.end().catch(() => undefined);
  }
}
