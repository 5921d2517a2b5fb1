import { randomUUID } from 'node:crypto';
import { register, type Histogram } from 'prom-client';
import type { DataSource } from 'typeorm';
import { partitionForKey, type OutgoingMessage } from '@hub/bus';
import { defineQuery, execute } from '@hub/persistence';
import { Latencies, now } from './workload.js';

/** One call of a closed loop: `index` counts the calls started so far, across callers. */
export type Call = (index: number) => Promise<void>;

export interface LoopFigures {
  calls: number;
  seconds: number;
  p50Ms?: number;
  p99Ms?: number;
}

/** More calls than any variant makes in a run on this kind of machine; later ones go unsampled. */
const LATENCY_SAMPLES = 2_000_000;

/**
 * `callers` callers, each making its next call as soon as its previous one resolved, until
 * `seconds` have passed; the clock stops when the last call in flight at that moment resolves.
 */
export async function closedLoop(callers: number, seconds: number, call: Call): Promise<LoopFigures> {
  const latencies = new Latencies(LATENCY_SAMPLES);
  const start = now();
  const end = start + seconds * 1000;
  let calls = 0;
  const caller = async () => {
    while (now() < end) {
      const startedAt = now();
      await call(calls++);
      latencies.record(now() - startedAt);
    }
  };
  await Promise.all(Array.from({ length: callers }, caller));
  return { calls, seconds: (now() - start) / 1000, ...latencies.percentiles() };
}

/**
 * A JSON body of about `bytes` bytes, shaped like a provider's webhook (a list of events): as
 * compressible as a real ingest request, so Postgres stores it as it would store one.
 */
export function ingestLikePayload(bytes: number): string {
  const events: object[] = [];
  const body = () => JSON.stringify({ source: 'bench', receivedAt: new Date().toISOString(), events });
  while (Buffer.byteLength(body()) < bytes)
    events.push({
      id: randomUUID(),
      type: 'meter.reading',
      site: `site-${events.length}`,
      kwh: events.length * 7,
    });
  return body();
}

/** Messages per append and appends so far of the group commit on the Postgres log, from its histogram. */
export async function appendTotals(): Promise<{ appends: number; messages: number }> {
  const metric = register.getSingleMetric('hub_bus_append_messages') as Histogram | undefined;
  if (!metric) throw new Error('hub_bus_append_messages is not registered: is @hub/bus loaded?');
  const { values } = await metric.get();
  const total = (suffix: string) =>
    values.find(
      (v) => v.metricName === `hub_bus_append_messages${suffix}` && v.labels['transport'] === 'postgres-log',
    )?.value ?? 0;
  return { appends: total('_count'), messages: total('_sum') };
}

/**
 * (d): a copy of `bus_messages` (same columns, same primary key) whose offsets come from one
 * SEQUENCE per partition. No row lock, so a row can commit after a higher offset of its partition:
 * a reader at that higher offset would skip it. A ceiling for removing the lock, not a design.
 */
export async function sequenceAppender(
  dataSource: DataSource,
  topic: string,
  partitions: number,
  notify: boolean,
): Promise<(message: OutgoingMessage) => Promise<void>> {
  const table = `bench_sequence_${randomUUID().slice(0, 8)}`;
  await execute(dataSource, defineQuery(`CREATE TABLE ${table} (LIKE bus_messages INCLUDING ALL)`));
  for (let partition = 0; partition < partitions; partition++)
    await execute(dataSource, defineQuery(`CREATE SEQUENCE ${table}_${partition} MINVALUE 0 START 0`));
  // The same NOTIFY as the bus's append, or none: see the benchmark's header for why both.
  const insert = defineQuery(`WITH inserted AS (
       INSERT INTO ${table} (topic, partition, "offset", key, value, headers)
       VALUES ($1, $2, nextval($3::regclass), $4, $5, $6) RETURNING topic)
     SELECT ${notify ? "pg_notify('bench_append', topic)" : '1'} FROM inserted`);
  return async (message) => {
    const partition = partitionForKey(message.key, partitions);
    await execute(dataSource, insert, [
      topic,
      partition,
      `${table}_${partition}`,
      message.key,
      Buffer.from(message.value),
      JSON.stringify(message.headers ?? {}),
    ]);
  };
}

/**
 * (e): the same rows into a table with the same columns but no key or index, `batchSize` rows per
 * INSERT (its own transaction), offsets counted here: what Postgres alone commits.
 */
export async function rawBatchInserter(
  dataSource: DataSource,
  topic: string,
  partitions: number,
  batchSize: number,
): Promise<(messages: (index: number) => OutgoingMessage) => Promise<void>> {
  const table = `bench_raw_${randomUUID().slice(0, 8)}`;
  await execute(dataSource, defineQuery(`CREATE TABLE ${table} (LIKE bus_messages INCLUDING DEFAULTS)`));
  const insert = defineQuery(`INSERT INTO ${table} (topic, partition, "offset", key, value, headers)
     SELECT $1, * FROM unnest($2::int[], $3::bigint[], $4::text[], $5::bytea[], $6::jsonb[])`);
  let offset = 0;
  return async (messageAt) => {
    const batch = Array.from({ length: batchSize }, (_, i) => messageAt(offset + i));
    const offsets = batch.map(() => offset++);
    await execute(dataSource, insert, [
      topic,
      batch.map((m) => partitionForKey(m.key, partitions)),
      offsets,
      batch.map((m) => m.key),
      batch.map((m) => Buffer.from(m.value)),
      batch.map((m) => JSON.stringify(m.headers ?? {})),
    ]);
  };
}
