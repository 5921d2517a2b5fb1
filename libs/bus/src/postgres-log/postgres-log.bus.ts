import { Logger } from '@nestjs/common';
import { defineQuery, execute, rowsOf } from '@hub/persistence';
import type { DataSource, EntityManager } from 'typeorm';
import {
  assertTopicName,
  BusUnavailableError,
  type EventBus,
  type OutgoingMessage,
  type SubscribeOptions,
  type Subscription,
} from '../bus.port.js';
import { measurePublish } from '../bus.metrics.js';
import { describe } from '../describe-error.js';
import { partitionForKey } from '../partitioner.js';
import { PostgresLogSubscription } from './postgres-log.subscription.js';
import { NOTIFY_CHANNEL, PostgresLogTopics } from './postgres-log.topics.js';

export interface PostgresLogBusOptions {
  /** Connection string for the dedicated LISTEN / partition-lease connection of each subscription. */
  databaseUrl: string;
  /** Partitions of a topic created by this bus. */
  partitions: number;
}

/**
 * The embedded transport: an append-only log in Postgres tables (see the migration
 * `BusLog`). Publishing takes the partition's row lock to hand out offsets, so offsets
 * become visible strictly in order and a reader never skips a row that commits late.
 */
export class PostgresLogBus implements EventBus {
  readonly transport = 'postgres-log' as const;
  private readonly logger = new Logger('PostgresLogBus');
  private readonly topics: PostgresLogTopics;
  private readonly subscriptions = new Set<PostgresLogSubscription>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: PostgresLogBusOptions,
  ) {
    this.topics = new PostgresLogTopics(dataSource, options.partitions);
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    assertTopicName(topic);
    if (messages.length === 0) return;
    const published = measurePublish(topic, messages.length);
    try {
      const partitions = await this.topics.ensure(topic);
      const byPartition = groupByPartition(messages, partitions);
      await this.dataSource.transaction((manager) => appendAll(manager, topic, byPartition));
      published();
    } catch (error) {
      throw new BusUnavailableError(`postgres-log: could not publish to ${topic}: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  /** Appends inside the caller's transaction: the messages commit (and notify) with it. */
  async append(manager: EntityManager, topic: string, messages: OutgoingMessage[]): Promise<void> {
    assertTopicName(topic);
    if (messages.length === 0) return;
    const appended = measurePublish(topic, messages.length);
    const partitions = await this.topics.ensure(topic);
    await appendAll(manager, topic, groupByPartition(messages, partitions));
    appended();
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    options.topics.forEach(assertTopicName);
    for (const topic of options.topics) await this.topics.ensure(topic);
    const subscription = new PostgresLogSubscription(
      this.dataSource,
      this.options.databaseUrl,
      options,
      {
        publish: (topic, messages) => this.publish(topic, messages),
        append: (...args) => this.append(...args),
      },
      () => this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    await subscription.start();
    this.logger.log(`group ${options.groupId} consuming ${options.topics.join(', ')}`);
    return subscription;
  }

  async ping(): Promise<void> {
    await execute(this.dataSource, defineQuery('SELECT 1'));
  }

  async latestOffsets(topic: string): Promise<Array<{ partition: number; offset: string }>> {
    assertTopicName(topic);
    await this.topics.ensure(topic);
    return rowsOf(
      this.dataSource,
      defineQuery<{ partition: number; offset: string }>(
        'SELECT partition, next_offset::text AS offset FROM bus_partitions WHERE topic = $1 ORDER BY partition',
      ),
      [topic],
    );
  }

  async committedOffsets(
    groupId: string,
    topic: string,
  ): Promise<Array<{ partition: number; offset: string }>> {
    assertTopicName(topic);
    return rowsOf(this.dataSource, COMMITTED_OFFSETS, [groupId, topic]);
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
  }
}

function groupByPartition(messages: OutgoingMessage[], partitions: number): Map<number, OutgoingMessage[]> {
  const groups = new Map<number, OutgoingMessage[]>();
  for (const message of messages) {
    const partition = partitionForKey(message.key, partitions);
    const group = groups.get(partition);
    if (group) group.push(message);
    else groups.set(partition, [message]);
  }
  return groups;
}

const COMMITTED_OFFSETS = defineQuery<{ partition: number; offset: string }>(
  `SELECT partition, committed_offset::text AS offset FROM bus_offsets
    WHERE group_id = $1 AND topic = $2 ORDER BY partition`,
);

const LOCK_PARTITIONS =
  defineQuery(`SELECT partition FROM bus_partitions WHERE topic = $1 AND partition = ANY($2::int[])
      ORDER BY partition FOR UPDATE`);

const RESERVE_OFFSETS = defineQuery<{ partition: number; first: string }>(`WITH reserved AS (
       UPDATE bus_partitions p SET next_offset = p.next_offset + c.n
         FROM unnest($2::int[], $3::int[]) AS c(partition, n)
        WHERE p.topic = $1 AND p.partition = c.partition
        RETURNING p.partition, p.next_offset - c.n AS first)
     SELECT partition, first::text AS first FROM reserved`);

// Every value in one bytea parameter, cut apart by position: a Buffer parameter travels in
// binary, where a bytea[] would be hex text twice the size, escaped into an array literal.
// The NOTIFY rides along (it is queued until commit either way): one round trip fewer.
const INSERT_MESSAGES = defineQuery(`WITH inserted AS (
       INSERT INTO bus_messages (topic, partition, "offset", key, value, headers)
       SELECT $1, m.partition, m.offset, m.key, substring($5::bytea FROM m.start FOR m.length), m.headers
         FROM unnest($2::int[], $3::bigint[], $4::text[], $6::int[], $7::int[], $8::jsonb[])
           AS m(partition, "offset", key, start, length, headers)
       RETURNING 1)
     SELECT pg_notify($9, $1) FROM (SELECT count(*) FROM inserted) AS done`);

/**
 * Three statements whatever the number of partitions: lock the partitions' counters in ascending
 * order (so concurrent publishers never deadlock), reserve every partition's offsets at once, then
 * insert every message at once and NOTIFY, which is delivered on commit.
 */
async function appendAll(
  manager: EntityManager,
  topic: string,
  byPartition: Map<number, OutgoingMessage[]>,
): Promise<void> {
  const partitions = [...byPartition.keys()].sort((a, b) => a - b);
  await execute(manager, LOCK_PARTITIONS, [topic, partitions]);
  const reserved = await rowsOf(manager, RESERVE_OFFSETS, [
    topic,
    partitions,
    partitions.map((partition) => byPartition.get(partition)!.length),
  ]);
  const firstOffset = new Map(reserved.map((row) => [row.partition, BigInt(row.first)]));
  const rows = partitions.flatMap((partition) => {
    const first = firstOffset.get(partition);
    if (first === undefined) throw new Error(`topic ${topic} has no partition ${partition}`);
    return byPartition
      .get(partition)!
      .map((message, index) => ({ partition, offset: first + BigInt(index), message }));
  });
  const { joined, starts, lengths } = joinValues(rows.map((row) => row.message.value));
  await execute(manager, INSERT_MESSAGES, [
    topic,
    rows.map((row) => row.partition),
    rows.map((row) => row.offset.toString()),
    rows.map((row) => row.message.key),
    joined,
    starts,
    lengths,
    rows.map((row) => JSON.stringify(row.message.headers ?? {})),
    NOTIFY_CHANNEL,
  ]);
}

/**
 * The values one after the other in one buffer, with where each starts (1-based, as `substring`
 * counts) and its length in bytes. Text values, the common case, are encoded in one pass: a
 * Buffer per message cost more than the encoding itself.
 */
function joinValues(values: Array<string | Buffer>): { joined: Buffer; starts: number[]; lengths: number[] } {
  const starts: number[] = [];
  const lengths: number[] = [];
  let start = 1;
  for (const value of values) {
    const length = typeof value === 'string' ? Buffer.byteLength(value) : value.length;
    starts.push(start);
    lengths.push(length);
    start += length;
  }
  const joined = values.every((value) => typeof value === 'string')
    ? Buffer.from(values.join(''))
    : Buffer.concat(values.map((value) => (typeof value === 'string' ? Buffer.from(value) : value)));
  return { joined, starts, lengths };
}
