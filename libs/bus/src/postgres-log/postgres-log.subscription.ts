import { Logger } from '@nestjs/common';
import pg from 'pg';
import {
  batchTransaction,
  defineQuery,
  execute,
  onOwnConnection,
  rowsOf,
  type Queryable,
} from '@hub/persistence';
import type { DataSource, EntityManager } from 'typeorm';
import type { BatchContext, ConsumedMessage, OutgoingMessage, SubscribeOptions } from '../bus.port.js';
import { retryDelayMs, sleep } from '../backoff.js';
import { dealInto, roundFailed, shareOfBatch } from '../consumer-rounds.js';
import { describe } from '../describe-error.js';
import { NOTIFY_CHANNEL } from './postgres-log.topics.js';
import { PartitionWakeUps, partitionId } from './postgres-log.wake-ups.js';

interface OwnedPartition {
  /** `topic/partition` (partitionId): its key among the owned, and what an append notifies for it. */
  readonly id: string;
  topic: string;
  partition: number;
  /** Next offset to read; equals the committed offset after every successful batch. */
  position: bigint;
  failures: number;
  retryAt: number;
}

interface MessageRow {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  created_at: Date;
}

/**
 * The next messages of several partitions in one round trip, at most `$4` from each, partition by
 * partition in the order given and each partition's in offset order.
 */
const FETCH_MESSAGES = defineQuery<MessageRow>(
  `SELECT o.topic, o.partition, m."offset", m.key, m.value, m.headers, m.created_at
     FROM unnest($1::text[], $2::int[], $3::bigint[]) WITH ORDINALITY AS o(topic, partition, position, ord)
    CROSS JOIN LATERAL (SELECT "offset", key, value, headers, created_at FROM bus_messages m
                         WHERE m.topic = o.topic AND m.partition = o.partition AND m."offset" >= o.position
                         ORDER BY "offset" LIMIT $4) AS m
    ORDER BY o.ord, m."offset"`,
);

/**
 * Which of the given partitions hold a message at or past the position: one round trip, so that a
 * wake-up for one message reads one partition, not every partition this consumer owns in turn.
 *
 * A lateral probe with LIMIT 1 per partition, not `WHERE EXISTS`: once the log's tables have
 * planner statistics, Postgres plans the EXISTS as a hash semi-join over a sequential scan of every
 * topic's messages (53 ms at 36,000 messages, growing with the log) where one index probe per
 * partition does (0.3 ms). Unprepared on purpose (see `leaseReads`).
 */
const PARTITIONS_WITH_MESSAGES = defineQuery<{ topic: string; partition: number }>(
  `SELECT o.topic, o.partition FROM unnest($1::text[], $2::int[], $3::bigint[]) AS o(topic, partition, position)
    CROSS JOIN LATERAL (SELECT 1 FROM bus_messages m
                         WHERE m.topic = o.topic AND m.partition = o.partition AND m."offset" >= o.position
                         LIMIT 1) AS waiting`,
);

/** Every partition of a batch in one statement: they commit together, in its transaction. */
const COMMIT_OFFSETS = defineQuery(
  `INSERT INTO bus_offsets (group_id, topic, partition, committed_offset, updated_at)
   SELECT $1, topic, partition, committed, now()
     FROM unnest($2::text[], $3::int[], $4::bigint[]) AS c(topic, partition, committed)
       ON CONFLICT (group_id, topic, partition)
       DO UPDATE SET committed_offset = EXCLUDED.committed_offset, updated_at = now()`,
);

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
  private readonly wakeUps: PartitionWakeUps;
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
    this.wakeUps = new PartitionWakeUps(options.topics, IDLE_WAIT_MS);
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
    // Every append notifies each partition it wrote to: a consumer wakes only for its own topics.
    client.on('notification', ({ payload }) => {
      if (!this.wakeUps.notice(payload)) return;
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
    // Notifications sent while this consumer had no connection never reached it.
    this.wakeUps.checkAll();
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
      const mine = partitions.filter((partition) => this.owned.has(partitionId(topic, partition)));
      for (const partition of mine.slice(share).reverse()) await this.release(lease, topic, partition);
      let held = Math.min(mine.length, share);
      for (const partition of partitions) {
        if (held >= share) break;
        if (this.owned.has(partitionId(topic, partition))) continue;
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
    const id = partitionId(topic, partition);
    this.owned.set(id, {
      id,
      topic,
      partition,
      position: committed,
      failures: 0,
      retryAt: 0,
    });
    // Its backlog was notified to its previous owner, if to anyone.
    this.wakeUps.checkAll();
    return true;
  }

  /** Its offset is committed (every batch commits its own), so the next owner starts where this one stopped. */
  private async release(lease: pg.Client, topic: string, partition: number): Promise<void> {
    this.owned.delete(partitionId(topic, partition));
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
   * One round (ADR 0019): the partitions that have something to read are dealt into at most
   * `concurrency` batches, each one handler call and one transaction over its partitions' next
   * messages, their offsets committed together. A batch's cost (a transaction, its commit, the
   * handler's fixed statements) barely depends on how many messages it carries, so it is paid
   * once per round, not once per partition. A partition is in one batch at a time, so its
   * messages stay in order.
   */
  private async pollOwnedPartitions(): Promise<boolean> {
    const now = Date.now();
    const wanted = this.wakeUps.take(now);
    const due: OwnedPartition[] = [];
    const dueAndMarked: OwnedPartition[] = [];
    for (const [id, owned] of this.owned) {
      const marked = wanted.marked.has(id);
      // A failed round's partition waits for its retry time: it stays marked until then.
      if (owned.retryAt > now) {
        if (marked) this.wakeUps.mark(id);
        continue;
      }
      due.push(owned);
      if (marked) dueAndMarked.push(owned);
    }
    const ready = wanted.all ? await this.withMessages(due) : dueAndMarked;
    const batches = dealInto(ready, this.options.concurrency ?? 1);
    const progressed = await Promise.all(batches.map((partitions) => this.pollBatch(partitions)));
    return progressed.includes(true);
  }

  /** The partitions among `owned` that have something to read; a single one is simply read. */
  private async withMessages(owned: OwnedPartition[]): Promise<OwnedPartition[]> {
    if (owned.length <= 1) return owned;
    const rows = await rowsOf(this.dataSource, PARTITIONS_WITH_MESSAGES, [
      owned.map((o) => o.topic),
      owned.map((o) => o.partition),
      owned.map((o) => o.position.toString()),
    ]);
    const due = new Set(rows.map((row) => partitionId(row.topic, row.partition)));
    return owned.filter((o) => due.has(o.id));
  }

  private async pollBatch(partitions: OwnedPartition[]): Promise<boolean> {
    if (this.closing) return false;
    const batch = await this.fetch(partitions);
    if (batch.length === 0) return false;
    const ends = nextPositions(partitions, batch);
    try {
      await this.handle(batch, ends);
      for (const owned of ends.keys()) {
        owned.failures = 0;
        owned.retryAt = 0;
      }
    } catch (error) {
      const failed = [...ends.keys()];
      for (const owned of failed) owned.failures += 1;
      const failures = Math.max(...failed.map((o) => o.failures));
      // One instant for the whole round, so that it comes again whole rather than split by a
      // millisecond between its partitions' retry times.
      const retryAt = Date.now() + retryDelayMs(failures);
      for (const owned of failed) {
        owned.retryAt = retryAt;
        this.wakeUps.mark(owned.id);
      }
      const starts = failed.map(({ topic, partition, position }) => ({ topic, partition, offset: position }));
      this.logger.warn(roundFailed(starts, failures, error));
    }
    return true;
  }

  /**
   * The batch's messages, at most `maxBatchSize` in all: each partition's equal share of it, so
   * that one busy partition cannot starve the others of the batch. (With more partitions than that
   * size, the first ones get one message each; the rest wait for the next round.)
   */
  private async fetch(ready: OwnedPartition[]): Promise<ConsumedMessage[]> {
    const most = this.options.maxBatchSize ?? 500;
    const partitions = ready.slice(0, most);
    const share = shareOfBatch(most, partitions.length);
    const rows = await rowsOf(this.leaseReads(), FETCH_MESSAGES, [
      partitions.map((o) => o.topic),
      partitions.map((o) => o.partition),
      partitions.map((o) => o.position.toString()),
      share,
    ]);
    this.markUnfinished(ready.slice(most), rows, share);
    return rows.map((row) => ({
      topic: row.topic,
      partition: row.partition,
      offset: String(row.offset),
      key: row.key,
      value: row.value,
      headers: row.headers,
      timestamp: row.created_at.getTime(),
    }));
  }

  /** Partitions left out of the batch, and those read to the end of their share, may hold more. */
  private markUnfinished(leftOut: OwnedPartition[], rows: MessageRow[], share: number): void {
    for (const owned of leftOut) this.wakeUps.mark(owned.id);
    const counts = new Map<string, number>();
    for (const row of rows) {
      const id = partitionId(row.topic, row.partition);
      const count = (counts.get(id) ?? 0) + 1;
      counts.set(id, count);
      if (count === share) this.wakeUps.mark(id);
    }
  }

  /**
   * A batch's fetch runs on the lease connection as a prepared statement: on a pooled connection
   * Postgres would plan it anew every round, which cost three times its run (0.38 ms of planning
   * per request at 100 req/s against 0.22 of execution). The wake-up check stays on the pool:
   * prepared, it ran on a generic plan for 0.60 ms a call, against 0.48 to plan and run it anew.
   */
  private leaseReads(): Queryable {
    if (!this.lease) throw new Error('the lease connection is gone');
    return onOwnConnection(this.lease);
  }

  /** Runs the handler; commits the batch's offsets inside the handler's transaction when it opens one. */
  private async handle(batch: ConsumedMessage[], ends: Map<OwnedPartition, bigint>): Promise<void> {
    let committed = false;
    let open: EntityManager | undefined;
    const context: BatchContext = {
      transaction: (work) =>
        batchTransaction(this.dataSource, async (manager) => {
          open = manager;
          try {
            const result = await work(manager);
            await this.commit(manager, ends);
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
    if (!committed) await this.commit(this.dataSource.manager, ends);
    for (const [owned, next] of ends) owned.position = next;
  }

  private async commit(manager: EntityManager, ends: Map<OwnedPartition, bigint>): Promise<void> {
    const partitions = [...ends];
    await execute(manager, COMMIT_OFFSETS, [
      this.options.groupId,
      partitions.map(([owned]) => owned.topic),
      partitions.map(([owned]) => owned.partition),
      partitions.map(([, next]) => next.toString()),
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

/** Per partition that has messages in `batch`, the offset after its last one. */
function nextPositions(partitions: OwnedPartition[], batch: ConsumedMessage[]): Map<OwnedPartition, bigint> {
  const byId = new Map(partitions.map((owned) => [owned.id, owned]));
  const ends = new Map<OwnedPartition, bigint>();
  for (const message of batch) {
    const owned = byId.get(partitionId(message.topic, message.partition));
    if (owned) ends.set(owned, BigInt(message.offset) + 1n);
  }
  return ends;
}
