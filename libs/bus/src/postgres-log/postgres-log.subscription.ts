import { Logger } from '@nestjs/common';
import pg from 'pg';
import { defineQuery, execute, rowsOf } from '@hub/persistence';
import type { DataSource, EntityManager } from 'typeorm';
import type { BatchContext, ConsumedMessage, OutgoingMessage, SubscribeOptions } from '../bus.port.js';
import { retryDelayMs, sleep } from '../backoff.js';
import { describe } from '../describe-error.js';
import { NOTIFY_CHANNEL } from './postgres-log.topics.js';

interface OwnedPartition {
  topic: string;
  partition: number;
  /** Next offset to read; equals the committed offset after every successful batch. */
  position: bigint;
  failures: number;
  retryAt: number;
}

interface MessageRow {
  offset: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  created_at: Date;
}

const FETCH_MESSAGES =
  defineQuery<MessageRow>(`SELECT "offset", key, value, headers, created_at FROM bus_messages
        WHERE topic = $1 AND partition = $2 AND "offset" >= $3
        ORDER BY "offset" LIMIT $4`);

/**
 * Which of the given partitions hold a message at or past the position: one round trip, so that a
 * wake-up for one message reads one partition, not every partition this consumer owns in turn.
 *
 * A lateral probe with LIMIT 1 per partition, not `WHERE EXISTS`: once the log's tables have
 * planner statistics, Postgres plans the EXISTS as a hash semi-join over a sequential scan of every
 * topic's messages (53 ms at 36,000 messages, growing with the log) where one index probe per
 * partition does (0.3 ms).
 */
const PARTITIONS_WITH_MESSAGES = defineQuery<{ topic: string; partition: number }>(
  `SELECT o.topic, o.partition FROM unnest($1::text[], $2::int[], $3::bigint[]) AS o(topic, partition, position)
    CROSS JOIN LATERAL (SELECT 1 FROM bus_messages m
                         WHERE m.topic = o.topic AND m.partition = o.partition AND m."offset" >= o.position
                         LIMIT 1) AS waiting`,
);

const COMMIT_OFFSET =
  defineQuery(`INSERT INTO bus_offsets (group_id, topic, partition, committed_offset, updated_at)
       VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (group_id, topic, partition)
       DO UPDATE SET committed_offset = EXCLUDED.committed_offset, updated_at = now()`);

/** How a subscription's handlers publish: on their own, or inside the batch's transaction. */
export interface Publishing {
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  append(manager: EntityManager, topic: string, messages: OutgoingMessage[]): Promise<void>;
}

const CLAIM_INTERVAL_MS = 2_000;
/**
 * Next claim when this consumer holds less than its share soon after the group changed: the
 * others give partitions back at their own next claim. Later a shortfall is the remainder of an
 * uneven split (3 consumers, 8 partitions: 3, 3 and 2), and the normal interval applies.
 */
const SHORT_CLAIM_RETRY_MS = 250;
const GROUP_CHANGE_SETTLE_MS = 10_000;
/** Consumers of one group on one database; a group this large is a misconfiguration. */
const MAX_MEMBERS = 256;
const IDLE_WAIT_MS = 1_000;

/**
 * One consumer of one group. Membership and partitions are session advisory locks held on a
 * dedicated connection: the consumers of a group (threads, processes, hosts on one database)
 * split each topic's partitions evenly, re-balanced at every claim (every 2 s), and a consumer
 * whose connection dies leaves its partitions to the others at their next claim.
 */
export class PostgresLogSubscription {
  private readonly logger: Logger;
  private readonly owned = new Map<string, OwnedPartition>();
  private lease: pg.Client | undefined;
  private closing = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Set by NOTIFY so a notification that lands between a poll and the wait is not lost. */
  private notified = false;
  private lastClaim = 0;
  /** The group's size at the last claim, and until when a shortfall is worth a quick retry. */
  private lastMembers = 0;
  private settleUntil = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly databaseUrl: string,
    private readonly options: SubscribeOptions,
    private readonly publishing: Publishing,
    private readonly onClosed: () => void,
  ) {
    this.logger = new Logger(`PostgresLogSubscription:${options.groupId}`);
  }

  async start(): Promise<void> {
    await this.connectLease();
    await this.claimPartitions();
    this.loop = this.run();
  }

  /** Consuming while it holds its lease (membership and partitions); the loop reconnects a lost one. */
  get running(): boolean {
    return !this.closing && this.lease !== undefined;
  }

  async close(): Promise<void> {
    if (this.closing) return this.loop;
    this.closing = true;
    this.wake?.();
    await this.loop;
    await this.lease?.end().catch(() => undefined);
    this.lease = undefined;
    this.onClosed();
  }

  private async run(): Promise<void> {
    while (!this.closing) {
      try {
        if (!this.lease) await this.connectLease();
        if (Date.now() - this.lastClaim >= CLAIM_INTERVAL_MS) await this.claimPartitions();
        this.notified = false;
        const progressed = await this.pollOwnedPartitions();
        if (!progressed && !this.notified && !this.closing) await this.waitForWork();
      } catch (error) {
        this.logger.warn(`consumer loop: ${describe(error)}; retrying`);
        await this.dropLease();
        await sleep(1_000);
      }
    }
  }

  private async connectLease(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      connectionTimeoutMillis: 5_000,
      // Shows in pg_stat_activity whose partition and member locks a connection holds.
      application_name: `hub-bus:${this.options.groupId}`,
    });
    client.on('error', (error) => {
      this.logger.warn(`lease connection lost: ${describe(error)}`);
      void this.dropLease();
    });
    client.on('notification', () => {
      this.notified = true;
      this.wake?.();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
      await this.join(client);
    } catch (error) {
      // The loop tries again every second: a connection that could not join must not stay open.
      await client.end().catch(() => undefined);
      throw error;
    }
    this.lease = client;
    this.lastClaim = 0;
    this.lastMembers = 0;
  }

  /** Losing the lease connection loses its locks: forget every partition it held. */
  private async dropLease(): Promise<void> {
    const lease = this.lease;
    this.lease = undefined;
    this.owned.clear();
    await lease?.end().catch(() => undefined);
  }

  /**
   * Takes this consumer's fair share of each topic's partitions: ceil(partitions / members), where
   * members are the group's live consumers on this database (see `join`). Partitions beyond the
   * share go back first, so that a consumer that joins later gets its share at its next claim.
   * Runs between polls, never while a batch of this consumer is in flight.
   */
  private async claimPartitions(): Promise<void> {
    const lease = this.lease;
    if (!lease) return;
    this.lastClaim = Date.now();
    const { rows } = await lease.query<{ topic: string; partition: number }>(
      'SELECT topic, partition FROM bus_partitions WHERE topic = ANY($1::text[]) ORDER BY topic, partition',
      [this.options.topics],
    );
    const members = await this.countMembers(lease);
    if (members !== this.lastMembers) {
      this.lastMembers = members;
      this.settleUntil = Date.now() + GROUP_CHANGE_SETTLE_MS;
    }
    let short = false;
    for (const [topic, partitions] of groupByTopic(rows)) {
      const share = Math.ceil(partitions.length / members);
      const mine = partitions.filter((partition) => this.owned.has(`${topic}/${partition}`));
      for (const partition of mine.slice(share).reverse()) await this.release(lease, topic, partition);
      let held = Math.min(mine.length, share);
      for (const partition of partitions) {
        if (held >= share) break;
        if (this.owned.has(`${topic}/${partition}`)) continue;
        if (await this.tryClaim(lease, topic, partition)) held += 1;
      }
      if (held < share) short = true;
    }
    // Another consumer is about to give partitions back: look again soon rather than in 2 s.
    if (short && Date.now() < this.settleUntil)
      this.lastClaim = Date.now() - CLAIM_INTERVAL_MS + SHORT_CLAIM_RETRY_MS;
  }

  private async tryClaim(lease: pg.Client, topic: string, partition: number): Promise<boolean> {
    const { rows: locked } = await lease.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_lock(hashtext($1), $2) AS ok',
      [this.partitionLockName(topic), partition],
    );
    if (!locked[0]?.ok) return false;
    // Read the offset only once the lock is ours: until then the previous owner may move it.
    const committed = await this.committedOffset(lease, topic, partition);
    this.owned.set(`${topic}/${partition}`, {
      topic,
      partition,
      position: committed,
      failures: 0,
      retryAt: 0,
    });
    return true;
  }

  /** Its offset is committed (every batch commits its own), so the next owner starts where this one stopped. */
  private async release(lease: pg.Client, topic: string, partition: number): Promise<void> {
    this.owned.delete(`${topic}/${partition}`);
    await lease.query('SELECT pg_advisory_unlock(hashtext($1), $2)', [
      this.partitionLockName(topic),
      partition,
    ]);
  }

  private partitionLockName(topic: string): string {
    return `hub_bus:${this.options.groupId}:${topic}`;
  }

  /**
   * Joins the group: a session advisory lock on the first free member slot, held on the lease
   * connection, so a consumer that dies leaves the group with its connection.
   */
  private async join(lease: pg.Client): Promise<void> {
    for (let slot = 0; slot < MAX_MEMBERS; slot++) {
      const { rows } = await lease.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_lock(hashtext($1), $2) AS ok',
        [this.memberLockName(), slot],
      );
      if (rows[0]?.ok) return;
    }
    throw new Error(`group ${this.options.groupId} already has ${MAX_MEMBERS} consumers on this database`);
  }

  /** The group's live consumers: member-slot locks held in this database (two-key advisory locks). */
  private async countMembers(lease: pg.Client): Promise<number> {
    const { rows } = await lease.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objsubid = 2
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid = ((hashtext($1)::bigint + 4294967296) % 4294967296)::oid`,
      [this.memberLockName()],
    );
    return Math.max(1, rows[0]?.n ?? 1);
  }

  private memberLockName(): string {
    return `hub_bus_member:${this.options.groupId}`;
  }

  private async committedOffset(lease: pg.Client, topic: string, partition: number): Promise<bigint> {
    const { rows } = await lease.query<{ committed: string }>(
      'SELECT committed_offset AS committed FROM bus_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3',
      [this.options.groupId, topic, partition],
    );
    return BigInt(rows[0]?.committed ?? 0);
  }

  /**
   * Each ready partition once, up to `concurrency` at a time; each partition's batches stay
   * strictly in order (a partition is in one worker's hands at a time). Workers take the next
   * partition as soon as theirs is done rather than in fixed groups, so one long batch does not
   * leave the other workers, and the database, idle.
   */
  private async pollOwnedPartitions(): Promise<boolean> {
    const ready = await this.withMessages(
      [...this.owned.values()].filter((owned) => owned.retryAt <= Date.now()),
    );
    const concurrency = this.options.concurrency ?? 1;
    let next = 0;
    let progressed = false;
    const worker = async (): Promise<void> => {
      for (let owned = ready[next++]; owned && !this.closing; owned = ready[next++]) {
        if (await this.pollPartition(owned)) progressed = true;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, ready.length) }, worker));
    return progressed;
  }

  /** The partitions among `owned` that have something to read; a single one is simply read. */
  private async withMessages(owned: OwnedPartition[]): Promise<OwnedPartition[]> {
    if (owned.length <= 1) return owned;
    const rows = await rowsOf(this.dataSource, PARTITIONS_WITH_MESSAGES, [
      owned.map((o) => o.topic),
      owned.map((o) => o.partition),
      owned.map((o) => o.position.toString()),
    ]);
    const due = new Set(rows.map((row) => `${row.topic}/${row.partition}`));
    return owned.filter((o) => due.has(`${o.topic}/${o.partition}`));
  }

  private async pollPartition(owned: OwnedPartition): Promise<boolean> {
    const batch = await this.fetch(owned);
    if (batch.length === 0) return false;
    try {
      await this.handle(owned, batch);
      owned.failures = 0;
      owned.retryAt = 0;
    } catch (error) {
      owned.failures += 1;
      owned.retryAt = Date.now() + retryDelayMs(owned.failures);
      this.logger.warn(
        `handler failed on ${owned.topic}/${owned.partition}@${owned.position} (try ${owned.failures}): ${describe(error)}; the batch will come again`,
      );
    }
    return true;
  }

  private async fetch(owned: OwnedPartition): Promise<ConsumedMessage[]> {
    const rows = await rowsOf(this.dataSource, FETCH_MESSAGES, [
      owned.topic,
      owned.partition,
      owned.position.toString(),
      this.options.maxBatchSize ?? 500,
    ]);
    return rows.map((row) => ({
      topic: owned.topic,
      partition: owned.partition,
      offset: String(row.offset),
      key: row.key,
      value: row.value,
      headers: row.headers,
      timestamp: row.created_at.getTime(),
    }));
  }

  /** Runs the handler; commits the batch's offset inside the handler's transaction when it opens one. */
  private async handle(owned: OwnedPartition, batch: ConsumedMessage[]): Promise<void> {
    const next = BigInt(batch[batch.length - 1]!.offset) + 1n;
    let committed = false;
    let open: EntityManager | undefined;
    const context: BatchContext = {
      transaction: (work) =>
        this.dataSource.transaction(async (manager) => {
          open = manager;
          try {
            const result = await work(manager);
            await this.commit(manager, owned, next);
            committed = true;
            return result;
          } finally {
            open = undefined;
          }
        }),
      publish: (topic, messages) =>
        open ? this.publishing.append(open, topic, messages) : this.publishing.publish(topic, messages),
    };
    await this.options.handler(batch, context);
    if (!committed) await this.commit(this.dataSource.manager, owned, next);
    owned.position = next;
  }

  private async commit(manager: EntityManager, owned: OwnedPartition, next: bigint): Promise<void> {
    await execute(manager, COMMIT_OFFSET, [
      this.options.groupId,
      owned.topic,
      owned.partition,
      next.toString(),
    ]);
  }

  private waitForWork(): Promise<void> {
    const retryAts = [...this.owned.values()].map((o) => o.retryAt).filter((t) => t > Date.now());
    const nextClaim = this.lastClaim + CLAIM_INTERVAL_MS - Date.now();
    const until = Math.min(IDLE_WAIT_MS, nextClaim, ...retryAts.map((t) => t - Date.now()));
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(10, until));
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}

function groupByTopic(rows: Array<{ topic: string; partition: number }>): Map<string, number[]> {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of rows) {
    const partitions = byTopic.get(topic);
    if (partitions) partitions.push(partition);
    else byTopic.set(topic, [partition]);
  }
  return byTopic;
}
