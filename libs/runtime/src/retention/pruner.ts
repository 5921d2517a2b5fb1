import { Logger } from '@nestjs/common';
import { defineQuery, execute, rowsOf } from '@hub/persistence';
import type { DataSource, EntityManager } from 'typeorm';
import { pruneMetrics } from './retention.metrics.js';

/** What one batch of a job did: rows deleted, and whether more may be due right now. */
export interface PruneBatchResult {
  deleted: number;
  more: boolean;
}

/**
 * One kind of data an app prunes: a name (the metrics' `kind` label, the logs' wording), how long
 * it is kept, and one batch of deleting, run inside a transaction the pruner opens.
 */
export interface PruneJob {
  readonly kind: string;
  /** Days a row is kept; 0 keeps it for ever, and the job never runs. */
  readonly retentionDays: number;
  /** Called before a round's first batch: a job that walks its table starts again at the top. */
  startRound?(): void;
  /** Deletes at most about `limit` rows older than `cutoff`, in the caller's transaction. */
  pruneBatch(manager: EntityManager, cutoff: Date, limit: number): Promise<PruneBatchResult>;
}

export interface PruneSchedule {
  /** Between the end of one round and the start of the next. */
  intervalMs: number;
  /** Rows a batch deletes at most: one short transaction, short row locks. */
  batchSize: number;
  /** Rest between two batches of a job, so live writers and autovacuum keep up. */
  pauseMs: number;
}

export interface RoundReport {
  kind: string;
  deleted: number;
  batches: number;
  /** False when another process held the job's lock, so this one left the round to it. */
  ran: boolean;
}

const DAY_MS = 86_400_000;
// A round starts a little after start-up, not during it: migrations and lanes come first.
const FIRST_ROUND_DELAY_MS = 5_000;

/**
 * Deletes old data in the background, one small transaction per batch with a pause between, so it
 * never holds locks or I/O long enough to slow down ingest, projection or delivery. Each batch first
 * tries a transaction-level advisory lock named after its job: with several replicas of an app, one
 * prunes a kind at a time and the others skip it for that round instead of fighting over the same
 * rows. Progress shows in the `hub_retention_*` metrics and a log line per round that deleted
 * something; a failed batch is logged and counted, and the next round tries again.
 */
export class Pruner {
  private readonly logger = new Logger('Retention');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: readonly PruneJob[],
    private readonly schedule: PruneSchedule,
  ) {}

  /** The jobs with a retention: what start() runs. */
  get active(): PruneJob[] {
    return this.jobs.filter((job) => job.retentionDays > 0);
  }

  start(): void {
    if (this.active.length === 0) return;
    this.logger.log(
      `pruning ${this.active.map((job) => `${job.kind} after ${job.retentionDays} d`).join(', ')}`,
    );
    this.scheduleRound(FIRST_ROUND_DELAY_MS);
  }

  /** Ends the pause or wait in progress, lets the batch in flight commit, and runs no more. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    await this.running;
  }

  /** One round of every job with a retention, each until nothing more is due. */
  async runRound(now: Date = new Date()): Promise<RoundReport[]> {
    const reports: RoundReport[] = [];
    for (const job of this.active) {
      if (this.stopped) break;
      reports.push(await this.runJob(job, new Date(now.getTime() - job.retentionDays * DAY_MS)));
    }
    return reports;
  }

  private scheduleRound(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      // runJob logs and counts its own failures: a round never rejects, and never ends the loop.
      this.running = this.runRound()
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => this.scheduleRound(this.schedule.intervalMs));
    }, delayMs);
    this.timer.unref();
  }

  private async runJob(job: PruneJob, cutoff: Date): Promise<RoundReport> {
    const report: RoundReport = { kind: job.kind, deleted: 0, batches: 0, ran: true };
    const metrics = pruneMetrics(job.kind);
    const started = process.hrtime.bigint();
    job.startRound?.();
    try {
      let caughtUp = false;
      for (;;) {
        const batch = await this.runBatch(job, cutoff);
        if (batch === 'locked') {
          report.ran = false;
          break;
        }
        report.batches++;
        report.deleted += batch.deleted;
        metrics.deleted(batch.deleted);
        caughtUp = !batch.more;
        if (caughtUp || this.stopped) break;
        await this.pause();
      }
      // Only a round that reached the end moves the cutoff gauge: before it, older rows may remain.
      if (caughtUp) metrics.roundDone(started, cutoff);
      if (report.deleted > 0)
        this.logger.log(
          `pruned ${report.deleted} ${job.kind} older than ${cutoff.toISOString()} in ${report.batches} batches`,
        );
    } catch (error) {
      metrics.failed();
      this.logger.warn(`pruning ${job.kind} failed, next round tries again: ${describe(error)}`);
    }
    return report;
  }

  private runBatch(job: PruneJob, cutoff: Date): Promise<PruneBatchResult | 'locked'> {
    return this.dataSource.transaction(async (manager) => {
      const [lock] = await rowsOf(manager, TRY_JOB_LOCK, [`solar-hub:retention:${job.kind}`]);
      if (!lock?.locked) return 'locked' as const;
      await execute(manager, BATCH_TIMEOUT);
      return job.pruneBatch(manager, cutoff, this.schedule.batchSize);
    });
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.schedule.pauseMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

const TRY_JOB_LOCK = defineQuery<{ locked: boolean }>(
  'SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked',
);

// A batch that waits on a lock or a slow plan gives up rather than holding its own locks for long;
// the next round retries it.
const BATCH_TIMEOUT = defineQuery("SET LOCAL statement_timeout = '30s'");

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
