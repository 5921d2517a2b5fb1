import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { BatchContext, ConsumedMessage, OutgoingMessage, SubscribeOptions } from '../bus.port.js';
import { retryDelayMs, sleep } from '../backoff.js';
import { describe } from './postgres-log.bus.js';
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

/** How a subscription's handlers publish: on their own, or inside the batch's transaction. */
export interface Publishing {
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  append(manager: EntityManager, topic: string, messages: OutgoingMessage[]): Promise<void>;
}

const CLAIM_INTERVAL_MS = 2_000;
const IDLE_WAIT_MS = 1_000;

/**
 * One consumer of one group. Partitions are leased with session advisory locks held on a
 * dedicated connection, so a second process of the same group waits as a standby and takes
 * over as soon as the first one's connection dies (no rebalancing beyond that: single node).
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
    const client = new pg.Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 5_000 });
    client.on('error', (error) => {
      this.logger.warn(`lease connection lost: ${describe(error)}`);
      void this.dropLease();
    });
    client.on('notification', () => {
      this.notified = true;
      this.wake?.();
    });
    await client.connect();
    await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    this.lease = client;
    this.lastClaim = 0;
  }

  /** Losing the lease connection loses its locks: forget every partition it held. */
  private async dropLease(): Promise<void> {
    const lease = this.lease;
    this.lease = undefined;
    this.owned.clear();
    await lease?.end().catch(() => undefined);
  }

  private async claimPartitions(): Promise<void> {
    const lease = this.lease;
    if (!lease) return;
    this.lastClaim = Date.now();
    const { rows } = await lease.query<{ topic: string; partition: number }>(
      'SELECT topic, partition FROM bus_partitions WHERE topic = ANY($1::text[]) ORDER BY topic, partition',
      [this.options.topics],
    );
    for (const row of rows) {
      const id = `${row.topic}/${row.partition}`;
      if (this.owned.has(id)) continue;
      const { rows: locked } = await lease.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_lock(hashtext($1), $2) AS ok',
        [`hub_bus:${this.options.groupId}:${row.topic}`, row.partition],
      );
      if (!locked[0]?.ok) continue;
      // Read the offset only once the lock is ours: until then the previous owner may move it.
      const committed = await this.committedOffset(lease, row.topic, row.partition);
      this.owned.set(id, {
        topic: row.topic,
        partition: row.partition,
        position: committed,
        failures: 0,
        retryAt: 0,
      });
    }
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
    const ready = [...this.owned.values()].filter((owned) => owned.retryAt <= Date.now());
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
    const rows: MessageRow[] = await this.dataSource.query(
      `SELECT "offset", key, value, headers, created_at FROM bus_messages
        WHERE topic = $1 AND partition = $2 AND "offset" >= $3
        ORDER BY "offset" LIMIT $4`,
      [owned.topic, owned.partition, owned.position.toString(), this.options.maxBatchSize ?? 500],
    );
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
    await manager.query(
      `INSERT INTO bus_offsets (group_id, topic, partition, committed_offset, updated_at)
       VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (group_id, topic, partition)
       DO UPDATE SET committed_offset = EXCLUDED.committed_offset, updated_at = now()`,
      [this.options.groupId, owned.topic, owned.partition, next.toString()],
    );
  }

  private waitForWork(): Promise<void> {
    const retryAts = [...this.owned.values()].map((o) => o.retryAt).filter((t) => t > Date.now());
    const until = Math.min(IDLE_WAIT_MS, ...retryAts.map((t) => t - Date.now()));
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
