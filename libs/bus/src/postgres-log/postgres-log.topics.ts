import type { DataSource } from 'typeorm';
import { createHash } from 'node:crypto';
import { defineQuery, execute, rowsOf, type Queryable } from '@hub/persistence';

export const NOTIFY_CHANNEL = 'hub_bus';

const PARTITIONS_OF_TOPIC = defineQuery<{ partitions: number }>(
  'SELECT partitions FROM bus_topics WHERE name = $1',
);

/**
 * Creates a topic on first use: its partition counters and its own partition of the
 * `bus_messages` table (list-partitioned by topic, so a topic can be dropped or archived whole).
 */
export class PostgresLogTopics {
  private readonly known = new Map<string, Promise<number>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly defaultPartitions: number,
  ) {}

  /** Resolves to the topic's partition count, creating the topic if needed. */
  ensure(topic: string): Promise<number> {
    let pending = this.known.get(topic);
    if (!pending) {
      pending = this.create(topic);
      this.known.set(topic, pending);
      pending.catch(() => this.known.delete(topic));
    }
    return pending;
  }

  /**
   * For a publish inside a caller's transaction, which must not create the topic: creating it takes
   * a lock on the log table that the caller's transaction, once it has appended, already conflicts
   * with, from a second connection the caller would wait for (a deadlock Postgres cannot see). A
   * topic another process created is found with the caller's own connection.
   */
  async existing(db: Queryable, topic: string): Promise<number> {
    const known = this.known.get(topic);
    if (known) return known;
    const rows = await rowsOf(db, PARTITIONS_OF_TOPIC, [topic]);
    if (!rows[0]) {
      throw new Error(
        `topic ${topic} does not exist: create it with ensureTopics before publishing to it inside a transaction`,
      );
    }
    this.known.set(topic, Promise.resolve(rows[0].partitions));
    return rows[0].partitions;
  }

  /**
   * A topic that exists is read without the creation lock, so that a start never waits on another
   * process that is creating some topic; only a missing topic is created under the lock.
   */
  private async create(topic: string): Promise<number> {
    const found = await rowsOf(this.dataSource, PARTITIONS_OF_TOPIC, [topic]);
    if (found[0]) return found[0].partitions;
    return this.dataSource.transaction(async (manager) => {
      await execute(manager, defineQuery('SELECT pg_advisory_xact_lock(hashtext($1))'), [
        `hub_bus_topic:${topic}`,
      ]);
      const existing = await rowsOf(manager, PARTITIONS_OF_TOPIC, [topic]);
      if (existing[0]) return existing[0].partitions;
      const table = `bus_messages_${createHash('sha256').update(topic).digest('hex').slice(0, 16)}`;
      await execute(
        manager,
        defineQuery(
          `CREATE TABLE IF NOT EXISTS ${table} PARTITION OF bus_messages FOR VALUES IN (${quoteLiteral(topic)})`,
        ),
      );
      await execute(
        manager,
        defineQuery('INSERT INTO bus_topics (name, partitions, table_name) VALUES ($1, $2, $3)'),
        [topic, this.defaultPartitions, table],
      );
      await execute(
        manager,
        defineQuery(`INSERT INTO bus_partitions (topic, partition, next_offset)
         SELECT $1, p, 0 FROM generate_series(0, $2 - 1) AS p`),
        [topic, this.defaultPartitions],
      );
      return this.defaultPartitions;
    });
  }
}

/** DDL takes no bind parameters; topic names are also restricted by the caller's validation. */
function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
