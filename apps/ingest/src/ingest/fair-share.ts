import { HttpException, HttpStatus, Injectable, Logger } from '@nestjs/common';
import type { Lane } from '@hub/contracts';
import { restFor } from '@hub/runtime';
import { IngestConfig } from '../config/ingest.config.js';

/**
 * The tenant already has INGEST_TENANT_QUEUE requests waiting: each holds its body in memory, and
 * a queue without end would take the process (and every tenant's requests in flight) down with it.
 */
export class TenantQueueFullException extends HttpException {
  readonly retryAfterSeconds = 5;
  constructor() {
    super(
      "too many of this tenant's requests are waiting their turn; retry later",
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }
}

interface TenantShare {
  /** Events the tenant may still send on the main lane; refills at the fair rate, up to the burst. */
  tokens: number;
  refilledAt: number;
  /** Sticky: once over its share, a tenant stays on the slow lane until its bucket is full again. */
  slow: boolean;
  /** Requests of the tenant being worked on now, and those waiting for a turn. */
  active: number;
  waiting: Array<() => void>;
}

/**
 * Keeps one tenant from slowing the others, without refusing anything (ADR 0010).
 *
 * - At most INGEST_TENANT_CONCURRENCY requests of one tenant (one while it is on the slow lane,
 *   resting between requests so it is busy at most INGEST_SLOW_LANE_PERCENT of the time) are
 *   mapped and published at once in this process; its further requests wait their turn (in
 *   order), while other tenants' requests go straight through. A flood then holds at most one
 *   publish transaction, not dozens, in front of everyone else's.
 * - Events within a tenant's fair share (a token bucket: INGEST_TENANT_EVENT_RATE per second, up
 *   to INGEST_TENANT_EVENT_BURST) go to the canonical topics; beyond it, to the slow-lane topics,
 *   which the projector applies one small batch at a time behind the main lane. The tenant
 *   stays on the slow lane until its bucket has refilled completely, so its events switch lanes
 *   rarely (an entity's events are ordered within a lane, not across lanes).
 *
 * A request waiting its turn is never dropped: if its provider stops waiting for the answer, ingest
 * still maps and publishes it when its turn comes (a provider that retries then gets the same event
 * ids, which consumers deduplicate).
 *
 * Counted per ingest process: with several processes behind a load balancer, each gives a tenant
 * this share.
 */
@Injectable()
export class FairShare {
  private readonly logger = new Logger('FairShare');
  private readonly tenants = new Map<string, TenantShare>();

  constructor(private readonly config: IngestConfig) {}

  /** Runs `work` when the tenant has a free slot; other tenants never wait for it. */
  async run<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    const share = this.shareOf(tenantId);
    if (share.waiting.length >= this.config.INGEST_TENANT_QUEUE) throw new TenantQueueFullException();
    if (share.active >= this.slotsOf(share) || share.waiting.length > 0) {
      // The slot is handed over already taken (see release), so the order holds.
      await new Promise<void>((resolve) => share.waiting.push(resolve));
    } else {
      share.active += 1;
    }
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.releaseAfterRest(tenantId, share, performance.now() - started);
    }
  }

  /**
   * For a source that asks to be refused rather than slowed: the seconds until the tenant's share
   * can take `events` on the main lane, or 0 when it can now (the events are then taken from it).
   */
  secondsUntilShare(tenantId: string, events: number, now = Date.now()): number {
    const share = this.refilled(tenantId, now);
    if (!share.slow && share.tokens >= events) {
      share.tokens -= events;
      return 0;
    }
    // On the slow lane the tenant comes back only with a full bucket (see laneFor).
    const missing = (share.slow ? this.config.INGEST_TENANT_EVENT_BURST : events) - share.tokens;
    return Math.max(1, Math.ceil(missing / this.config.INGEST_TENANT_EVENT_RATE));
  }

  /** The lane for a request of `events` events, which it takes from the tenant's share. */
  laneFor(tenantId: string, events: number, now = Date.now()): Lane {
    const share = this.refilled(tenantId, now);
    if (!share.slow && share.tokens >= events) {
      share.tokens -= events;
      return 'main';
    }
    if (!share.slow) {
      share.slow = true;
      this.logger.warn(
        `tenant ${tenantId} is over its fair share (${this.config.INGEST_TENANT_EVENT_RATE} events/s, ` +
          `bursts of ${this.config.INGEST_TENANT_EVENT_BURST}): its events go to the slow lane`,
      );
    }
    share.tokens = Math.max(0, share.tokens - events);
    return 'slow';
  }

  /** The tenant's share as of `now`: refilled, and off the slow lane once its bucket is full. */
  private refilled(tenantId: string, now: number): TenantShare {
    const share = this.shareOf(tenantId);
    this.refill(share, now);
    if (share.slow && share.tokens >= this.config.INGEST_TENANT_EVENT_BURST) {
      share.slow = false;
      this.logger.log(`tenant ${tenantId} is back within its fair share: main lane`);
    }
    return share;
  }

  private shareOf(tenantId: string): TenantShare {
    let share = this.tenants.get(tenantId);
    if (!share) {
      share = {
        tokens: this.config.INGEST_TENANT_EVENT_BURST,
        refilledAt: Date.now(),
        slow: false,
        active: 0,
        waiting: [],
      };
      this.tenants.set(tenantId, share);
    }
    return share;
  }

  private refill(share: TenantShare, now: number): void {
    const elapsed = Math.max(0, now - share.refilledAt) / 1000;
    share.tokens = Math.min(
      this.config.INGEST_TENANT_EVENT_BURST,
      share.tokens + elapsed * this.config.INGEST_TENANT_EVENT_RATE,
    );
    share.refilledAt = now;
  }

  /**
   * One slot on the slow lane: each request's mapping is a synchronous stretch of the event loop
   * that every other tenant's request waits behind, and so are its publish transactions' locks.
   */
  private slotsOf(share: TenantShare): number {
    return share.slow ? 1 : this.config.INGEST_TENANT_CONCURRENCY;
  }

  /**
   * On the slow lane the slot rests in proportion to the work it did before the next request may
   * use it (the answer is not held back), so the tenant uses the event loop and the database at
   * most INGEST_SLOW_LANE_PERCENT of the time.
   */
  private releaseAfterRest(tenantId: string, share: TenantShare, busyMs: number): void {
    const rest = share.slow ? restFor(busyMs, this.config.INGEST_SLOW_LANE_PERCENT) : 0;
    if (rest < 1) return this.release(tenantId, share);
    setTimeout(() => this.release(tenantId, share), rest);
  }

  /** Hands free slots to the next waiting requests, or forgets a tenant at rest (a full bucket). */
  private release(tenantId: string, share: TenantShare): void {
    share.active -= 1;
    // A tenant that moved to the slow lane meanwhile gives back its extra slots here.
    while (share.active < this.slotsOf(share) && share.waiting.length > 0) {
      share.active += 1;
      share.waiting.shift()!();
    }
    if (share.active > 0 || share.slow) return;
    this.refill(share, Date.now());
    if (share.tokens >= this.config.INGEST_TENANT_EVENT_BURST) this.tenants.delete(tenantId);
  }
}
