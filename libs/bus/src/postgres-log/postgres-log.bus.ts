import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import {
  assertTopicName,
  BusUnavailableError,
  type EventBus,
  type OutgoingMessage,
  type SubscribeOptions,
  type Subscription,
} from '../bus.port.js';
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
    try {
      const partitions = await this.topics.ensure(topic);
      const byPartition = groupByPartition(messages, partitions);
      await this.dataSource.transaction((manager) => appendAll(manager, topic, byPartition));
    } catch (error) {
      throw new BusUnavailableError(`postgres-log: could not publish to ${topic}: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    options.topics.forEach(assertTopicName);
    for (const topic of options.topics) await this.topics.ensure(topic);
    const subscription = new PostgresLogSubscription(this.dataSource, this.options.databaseUrl, options, () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    await subscription.start();
    this.logger.log(`group ${options.groupId} consuming ${options.topics.join(', ')}`);
    return subscription;
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  async latestOffsets(topic: string): Promise<Array<{ partition: number; offset: string }>> {
    assertTopicName(topic);
    await this.topics.ensure(topic);
    const rows: Array<{ partition: number; offset: string }> = await this.dataSource.query(
      'SELECT partition, next_offset::text AS offset FROM bus_partitions WHERE topic = $1 ORDER BY partition',
      [topic],
    );
    return rows;
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

async function appendAll(
  manager: EntityManager,
  topic: string,
  byPartition: Map<number, OutgoingMessage[]>,
): Promise<void> {
  // Lock partitions in ascending order so concurrent publishers never deadlock.
  const partitions = [...byPartition.keys()].sort((a, b) => a - b);
  for (const partition of partitions) {
    await appendToPartition(manager, topic, partition, byPartition.get(partition) ?? []);
  }
  await manager.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, topic]);
}

async function appendToPartition(
  manager: EntityManager,
  topic: string,
  partition: number,
  messages: OutgoingMessage[],
): Promise<void> {
  const reserved: Array<{ first: string }> = await manager.query(
    // Wrapped in a SELECT: TypeORM returns [rows, count] for a bare UPDATE ... RETURNING.
    `WITH reserved AS (
       UPDATE bus_partitions SET next_offset = next_offset + $3
        WHERE topic = $1 AND partition = $2
        RETURNING next_offset - $3 AS first)
     SELECT first FROM reserved`,
    [topic, partition, messages.length],
  );
  const first = reserved[0]?.first;
  if (first === undefined) throw new Error(`topic ${topic} has no partition ${partition}`);
  await manager.query(
    `INSERT INTO bus_messages (topic, partition, "offset", key, value, headers)
     SELECT $1, $2, $3::bigint + m.ord - 1, m.key, m.value, m.headers
       FROM unnest($4::text[], $5::bytea[], $6::jsonb[]) WITH ORDINALITY AS m(key, value, headers, ord)`,
    [
      topic,
      partition,
      first,
      messages.map((m) => m.key),
      messages.map((m) => (typeof m.value === 'string' ? Buffer.from(m.value) : m.value)),
      messages.map((m) => JSON.stringify(m.headers ?? {})),
    ],
  );
}

export function describe(error: unknown): string {
  if (error instanceof AggregateError) return error.errors.map(describe).join('; ');
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
