import { Logger } from '@nestjs/common';
import { defineQuery, execute, rowsOf } from '@hub/persistence';
import type { DataSource, EntityManager } from 'typeorm';
import {
  assertTopicName,
  type EventBus,
  type OutgoingMessage,
  type SubscribeOptions,
  type Subscription,
  type TopicMessages,
} from '../bus.port.js';
import { measurePublish } from '../bus.metrics.js';
import { GroupCommit, type GroupCommitOptions } from '../group-commit.js';
import { partitionForKey } from '../partitioner.js';
import { PostgresLogSubscription } from './postgres-log.subscription.js';
import { NOTIFY_CHANNEL, PostgresLogTopics } from './postgres-log.topics.js';

export interface PostgresLogBusOptions {
  /** Connection string for the dedicated LISTEN / partition-lease connection of each subscription. */
  databaseUrl: string;
  /** Partitions of a topic created by this bus. */
  partitions: number;
  /** How concurrent publishes are coalesced into one transaction. */
  groupCommit: GroupCommitOptions;
}

/**
 * The embedded transport: an append-only log in Postgres tables (see the migration
 * `BusLog`). Publishing takes the partitions' row locks to hand out offsets, so offsets
 * become visible strictly in order and a reader never skips a row that commits late; concurrent
 * publishes share one transaction (GroupCommit), so they share its lock and its commit too.
 */
export class PostgresLogBus implements EventBus {
  readonly transport = 'postgres-log' as const;
  private readonly logger = new Logger('PostgresLogBus');
  private readonly topics: PostgresLogTopics;
  private readonly subscriptions = new Set<PostgresLogSubscription>();
  private readonly groupCommit: GroupCommit;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: PostgresLogBusOptions,
  ) {
    this.topics = new PostgresLogTopics(dataSource, options.partitions);
    this.groupCommit = new GroupCommit(
      this.transport,
      (batches) => dataSource.transaction((manager) => this.appendAll(manager, batches)),
      options.groupCommit,
    );
  }

  publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    return this.publishAll([{ topic, messages }]);
  }

  publishAll(batches: TopicMessages[]): Promise<void> {
    return this.groupCommit.publishTopics(batches, (topic) => this.topics.ensure(topic));
  }

  /**
   * Appends inside the caller's transaction: the messages commit (and notify) with it. The topic
   * must exist already (`ensureTopics`); see PostgresLogTopics.existing for why.
   */
  async append(manager: EntityManager, topic: string, messages: OutgoingMessage[]): Promise<void> {
    assertTopicName(topic);
    if (messages.length === 0) return;
    const appended = measurePublish(topic, messages.length);
    await this.appendAll(manager, [{ topic, messages }]);
    appended();
  }

  /**
   * Three statements whatever the number of topics and partitions: lock the partitions' counters in
   * (topic, partition) order, so concurrent transactions never deadlock, reserve every partition's
   * offsets at once, then insert every message at once and NOTIFY, which is delivered on commit.
   */
  private async appendAll(manager: EntityManager, batches: TopicMessages[]): Promise<void> {
    const rows: PartitionedMessage[] = [];
    for (const { topic, messages } of batches) {
      const partitions = await this.topics.existing(manager, topic);
      for (const message of messages)
        rows.push({ topic, partition: partitionForKey(message.key, partitions), message });
    }
    if (rows.length === 0) return;
    const counters = partitionCounters(rows);
    await execute(manager, LOCK_PARTITIONS, [counters.map((c) => c.topic), counters.map((c) => c.partition)]);
    const reserved = await rowsOf(manager, RESERVE_OFFSETS, [
      counters.map((c) => c.topic),
      counters.map((c) => c.partition),
      counters.map((c) => c.count),
    ]);
    const offsets = assignOffsets(rows, reserved);
    const { joined, starts, lengths } = joinValues(rows.map((row) => row.message.value));
    await execute(manager, INSERT_MESSAGES, [
      rows.map((row) => row.topic),
      rows.map((row) => row.partition),
      offsets,
      rows.map((row) => row.message.key),
      joined,
      starts,
      lengths,
      rows.map((row) => JSON.stringify(row.message.headers ?? {})),
      NOTIFY_CHANNEL,
    ]);
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

  async ensureTopics(topics: string[]): Promise<void> {
    topics.forEach(assertTopicName);
    for (const topic of topics) await this.topics.ensure(topic);
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

  async storedEndOffsets(topic: string): Promise<Array<{ partition: number; offset: string }>> {
    assertTopicName(topic);
    await this.topics.ensure(topic);
    return rowsOf(this.dataSource, STORED_END_OFFSETS, [topic]);
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

interface PartitionedMessage {
  topic: string;
  partition: number;
  message: OutgoingMessage;
}

/** Each partition written to, with how many messages it gets, in (topic, partition) order. */
function partitionCounters(
  rows: PartitionedMessage[],
): Array<{ topic: string; partition: number; count: number }> {
  const counts = new Map<string, { topic: string; partition: number; count: number }>();
  for (const { topic, partition } of rows) {
    const id = `${topic}\u0000${partition}`;
    const counter = counts.get(id);
    if (counter) counter.count += 1;
    else counts.set(id, { topic, partition, count: 1 });
  }
  return [...counts.values()].sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  );
}

/** Each row's offset, from the first offset reserved for its partition, in the rows' order. */
function assignOffsets(
  rows: PartitionedMessage[],
  reserved: Array<{ topic: string; partition: number; first: string }>,
): string[] {
  const next = new Map(reserved.map((row) => [`${row.topic}\u0000${row.partition}`, BigInt(row.first)]));
  return rows.map(({ topic, partition }) => {
    const id = `${topic}\u0000${partition}`;
    const offset = next.get(id);
    if (offset === undefined) throw new Error(`topic ${topic} has no partition ${partition}`);
    next.set(id, offset + 1n);
    return offset.toString();
  });
}

// The last message of each partition by the primary key's order: one index probe per partition.
const STORED_END_OFFSETS = defineQuery<{ partition: number; offset: string }>(
  `SELECT p.partition, COALESCE(
          (SELECT m."offset" + 1 FROM bus_messages m WHERE m.topic = p.topic AND m.partition = p.partition
            ORDER BY m."offset" DESC LIMIT 1), 0)::text AS offset
     FROM bus_partitions p WHERE p.topic = $1 ORDER BY p.partition`,
);

const COMMITTED_OFFSETS = defineQuery<{ partition: number; offset: string }>(
  `SELECT partition, committed_offset::text AS offset FROM bus_offsets
    WHERE group_id = $1 AND topic = $2 ORDER BY partition`,
);

// Sorted the same way in every transaction (the sort runs below the row locks), so two appends
// that share partitions wait for each other instead of deadlocking.
const LOCK_PARTITIONS = defineQuery(`SELECT 1 FROM bus_partitions p
       JOIN unnest($1::text[], $2::int[]) AS c(topic, partition) USING (topic, partition)
      ORDER BY p.topic, p.partition FOR UPDATE OF p`);

const RESERVE_OFFSETS = defineQuery<{ topic: string; partition: number; first: string }>(`WITH reserved AS (
       UPDATE bus_partitions p SET next_offset = p.next_offset + c.n
         FROM unnest($1::text[], $2::int[], $3::int[]) AS c(topic, partition, n)
        WHERE p.topic = c.topic AND p.partition = c.partition
        RETURNING p.topic, p.partition, p.next_offset - c.n AS first)
     SELECT topic, partition, first::text AS first FROM reserved`);

// Every value in one bytea parameter, cut apart by position: a Buffer parameter travels in
// binary, where a bytea[] would be hex text twice the size, escaped into an array literal.
// The NOTIFY (one per topic) rides along: it is queued until commit either way.
const INSERT_MESSAGES = defineQuery(`WITH inserted AS (
       INSERT INTO bus_messages (topic, partition, "offset", key, value, headers)
       SELECT m.topic, m.partition, m.offset, m.key, substring($5::bytea FROM m.start FOR m.length), m.headers
         FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $6::int[], $7::int[], $8::jsonb[])
           AS m(topic, partition, "offset", key, start, length, headers)
       RETURNING topic)
     SELECT pg_notify($9, topic) FROM (SELECT DISTINCT topic FROM inserted) AS done`);

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
