import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { SourceRepository, type SourceStatsDelta } from './source.repository.js';

const FLUSH_INTERVAL_MS = 1_000;
const MAX_DETAIL = 300;

interface Counted {
  tenantId: string;
  sourceId: string;
}

/**
 * Source counters gathered in memory and written at most once a second, all sources in one
 * statement. Otherwise every request (an unauthenticated flood included) would cost a database
 * write: with this, a flood of bad requests costs one write per second. The stats API may lag up to
 * a second; whatever is gathered when the app stops is written on shutdown.
 */
@Injectable()
export class SourceStatsBuffer implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger('SourceStats');
  private pending = new Map<string, SourceStatsDelta>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly repository: SourceRepository) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  accepted(source: Counted): void {
    const delta = this.deltaOf(source);
    const now = new Date().toISOString();
    delta.accepted++;
    delta.last_delivery_at = now;
    delta.last_accepted_at = now;
  }

  unmapped(source: Counted, reason: string): void {
    const delta = this.deltaOf(source);
    const now = new Date().toISOString();
    delta.unmapped++;
    delta.last_delivery_at = now;
    delta.last_unmapped_at = now;
    delta.last_unmapped_reason = reason.slice(0, MAX_DETAIL);
  }

  rejected(source: Counted, reason: string, detail: string): void {
    const delta = this.deltaOf(source);
    const now = new Date().toISOString();
    delta.last_delivery_at = now;
    const entry = delta.rejected[reason] ?? { count: 0, last_at: now, last_detail: '' };
    delta.rejected[reason] = {
      count: entry.count + 1,
      last_at: now,
      last_detail: detail.slice(0, MAX_DETAIL),
    };
  }

  /** Writes what was gathered; one write at a time, and counters never fail a request. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const deltas = [...this.pending.values()];
      this.pending = new Map();
      await this.repository.addStats(deltas).catch((error: unknown) => {
        this.logger.warn(
          `could not write the stats of ${deltas.length} sources (kept for the next write): ${(error as Error).message}`,
        );
        for (const delta of deltas) this.keep(delta);
      });
    });
    return this.flushing;
  }

  /** A delta that could not be written, added back under what was counted since. */
  private keep(unwritten: SourceStatsDelta): void {
    const delta = this.deltaOf({ tenantId: unwritten.tenant_id, sourceId: unwritten.source_id });
    delta.accepted += unwritten.accepted;
    delta.unmapped += unwritten.unmapped;
    // What was counted since is newer: its times and reasons win where it has them.
    delta.last_delivery_at ??= unwritten.last_delivery_at;
    delta.last_accepted_at ??= unwritten.last_accepted_at;
    delta.last_unmapped_at ??= unwritten.last_unmapped_at;
    delta.last_unmapped_reason ??= unwritten.last_unmapped_reason;
    for (const [reason, older] of Object.entries(unwritten.rejected)) {
      const newer = delta.rejected[reason];
      delta.rejected[reason] = newer ? { ...newer, count: newer.count + older.count } : older;
    }
  }

  private deltaOf({ tenantId, sourceId }: Counted): SourceStatsDelta {
    const key = `${tenantId}/${sourceId}`;
    let delta = this.pending.get(key);
    if (!delta) {
      delta = emptySourceStatsDelta(tenantId, sourceId);
      this.pending.set(key, delta);
    }
    return delta;
  }
}

/** A source's counters before anything happened: what a delta starts from. */
export function emptySourceStatsDelta(tenantId: string, sourceId: string): SourceStatsDelta {
  return {
    tenant_id: tenantId,
    source_id: sourceId,
    accepted: 0,
    last_delivery_at: null,
    last_accepted_at: null,
    unmapped: 0,
    last_unmapped_at: null,
    last_unmapped_reason: null,
    rejected: {},
  };
}
