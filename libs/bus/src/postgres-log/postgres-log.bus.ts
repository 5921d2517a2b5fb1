import { Logger } from '@nestjs/common';
import { defineQuery, execute, rowsOf, type Queryable } from '@hub/persistence';
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
      (batches) => this.appendAlone(batches),
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
   * A group commit's append: its one statement is its own transaction, on a connection held for
   * it, so that it runs as a prepared statement (ADR 0018) and is not planned again on every call.
   */
  private async appendAlone(batches: TopicMessages[]): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await this.appendAll(runner, batches);
    } finally {
      await runner.release();
    }
  }

  /**
   * One statement whatever the number of topics and partitions (APPEND_MESSAGES): it locks the
   * partitions' counters in (topic, partition) order, so concurrent appends never deadlock,
   * reserves every partition's offsets, inserts every message and NOTIFYs, which is delivered on
   * commit. Alone (a group commit's append) it is its own transaction: one round trip in all.
   */
  private async appendAll(db: Queryable, batches: TopicMessages[]): Promise<void> {
    const rows: PartitionedMessage[] = [];
    for (const { topic, messages } of batches) {
      const partitions = await this.topics.existing(db, topic);
      for (const message of messages)
        rows.push({ topic, partition: partitionForKey(message.key, partitions), message });
    }
    if (rows.length === 0) return;
    const counters = partitionCounters(rows);
    const { joined, starts, lengths } = joinValues(rows.map((row) => row.message.value));
    const params = [
      counters.map((c) => c.topic),
      counters.map((c) => c.partition),
      counters.map((c) => c.count),
      rows.map((row) => row.topic),
      rows.map((row) => row.partition),
      ranksInPartition(rows),
      rows.map((row) => row.message.key),
      joined,
      starts,
      lengths,
      rows.map((row) => JSON.stringify(row.message.headers ?? {})),
      NOTIFY_CHANNEL,
    ];
    await execute(db, APPEND_MESSAGES, params).catch((error: unknown) => {
      if (!isOffsetMissing(error)) throw error;
      const partitions = counters.map((c) => `${c.topic}[${c.partition}]`).join(', ');
      throw new Error(`append refused: one of the partitions ${partitions} has no offset counter`, {
        cause: error,
      });
    });
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

/** The append's NOT NULL violation on `offset`: a partition it writes to had no counter row. */
function isOffsetMissing(error: unknown): boolean {
  const { code, column } = (error ?? {}) as { code?: unknown; column?: unknown };
  return code === '23502' && column === 'offset';
}

/** Each row's place among the rows of its partition, from 0, in the rows' order. */
function ranksInPartition(rows: PartitionedMessage[]): number[] {
  const next = new Map<string, number>();
  return rows.map(({ topic, partition }) => {
    const id = `${topic}\u0000${partition}`;
    const rank = next.get(id) ?? 0;
    next.set(id, rank + 1);
    return rank;
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

// `locked` takes the counters' row locks sorted the same way in every transaction (the sort runs
// below the row locks), so two appends that share partitions wait for each other instead of
// deadlocking. Its count gates the UPDATE as a one-time filter, which Postgres evaluates before the
// UPDATE reads any row: every lock is held before any counter moves. A counter updated by another
// transaction while this one waited is re-read at its latest version (READ COMMITTED's recheck),
// so the offsets reserved follow that transaction's. A partition without its counter row (a damaged
// log) leaves the gate shut and every offset NULL: the INSERT fails on the NOT NULL of its key, and
// the whole statement with it, so nothing of the append is stored. Every value travels in one
// bytea parameter, cut apart by position: a Buffer parameter goes in binary, where a bytea[] would
// be hex text twice the size, escaped into an array literal. The NOTIFYs (one per partition written,
// `topic/partition`: see PartitionWakeUps) are queued until commit.
const APPEND_MESSAGES = defineQuery(`WITH counters AS (
       SELECT * FROM unnest($1::text[], $2::int[], $3::int[]) AS c(topic, partition, n)
     ), locked AS (
       SELECT p.topic, p.partition FROM bus_partitions p JOIN counters c USING (topic, partition)
        ORDER BY p.topic, p.partition FOR UPDATE OF p
     ), reserved AS (
       UPDATE bus_partitions p SET next_offset = p.next_offset + c.n
         FROM counters c
        WHERE p.topic = c.topic AND p.partition = c.partition
          AND (SELECT count(*) FROM locked) = cardinality($1::text[])
        RETURNING p.topic, p.partition, p.next_offset - c.n AS first
     ), inserted AS (
       INSERT INTO bus_messages (topic, partition, "offset", key, value, headers)
       SELECT m.topic, m.partition, r.first + m.rank, m.key, substring($8::bytea FROM m.start FOR m.length), m.headers
         FROM unnest($4::text[], $5::int[], $6::int[], $7::text[], $9::int[], $10::int[], $11::jsonb[])
           AS m(topic, partition, rank, key, start, length, headers)
         LEFT JOIN reserved r ON r.topic = m.topic AND r.partition = m.partition
       RETURNING topic, partition
     )
     SELECT pg_notify($12, topic || '/' || partition) FROM (SELECT DISTINCT topic, partition FROM inserted) AS done`);

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
