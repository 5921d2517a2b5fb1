import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DispatcherConfig } from '../config/dispatcher.config.js';
import { OutboundClient } from '../outbound/outbound.client.js';
import { webhookHeaders } from '../outbound/webhook-request.js';
import { SubscriptionSecrets } from '../subscriptions/subscription-secrets.js';
import { AttemptOutcomes } from './attempt-outcomes.js';
import { countAttempt, watchSendSlots } from './delivery.metrics.js';
import {
  DeliveryRepository,
  type ClaimedDelivery,
  type MatchedHandOver,
  type NewDelivery,
} from './delivery.repository.js';
import { sendTraced } from './delivery.tracing.js';
import { handOverIds } from './hand-over.js';
import { decide } from './retry-policy.js';
import { SendSlots, type ReleaseSlot } from './send-slots.js';
import { SendWakeups } from './send-wakeups.js';

/** A matched batch's hand-over: see DeliveryWorker.beginHandOver. */
export interface BatchHandOver {
  choose(matched: readonly NewDelivery[]): MatchedHandOver;
  settle(handed: ClaimedDelivery[]): void;
}

/** How often deliveries left `sending` by a dead process are looked for. */
const LEASE_SWEEP_MS = 1_000;
/**
 * A claimed delivery's lease: up to `1 + READY_PER_SLOT` attempts' time waiting for a slot, its
 * own attempt, and this much more.
 */
const LEASE_MARGIN_MS = 10_000;
/**
 * Claimed deliveries held ready, as a multiple of the slots: a freed slot starts the next one at
 * once instead of after a claim's round trip to the database, which had left the worker idle for a
 * third of a burst.
 */
const READY_PER_SLOT = 1;

/**
 * Sends due deliveries: claims what SendSlots has room for, posts each delivery it starts, and
 * hands the outcome to AttemptOutcomes. A slot is free again as soon as its request has ended, not
 * when the outcome is written. Woken through SendWakeups; otherwise it polls, so several processes
 * share the queue through the database alone.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DeliveryWorker');
  private readonly slots: SendSlots<ClaimedDelivery>;
  private loopDone: Promise<void> = Promise.resolve();

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly client: OutboundClient,
    private readonly secrets: SubscriptionSecrets,
    private readonly outcomes: AttemptOutcomes,
    private readonly wakeups: SendWakeups,
    private readonly config: DispatcherConfig,
  ) {
    this.slots = new SendSlots<ClaimedDelivery>({
      slots: config.DISPATCH_CONCURRENCY,
      perSubscription: config.DISPATCH_ENDPOINT_CONCURRENCY,
      readyPerSlot: READY_PER_SLOT,
      leaseNeededMs: config.DISPATCH_TIMEOUT + LEASE_MARGIN_MS / 2,
      send: (delivery, release) => this.send(delivery, release),
      capacityFreed: () => this.wakeups.ring('slot-freed'),
    });
    watchSendSlots(() => this.slots.inFlight);
  }

  onApplicationBootstrap(): void {
    this.loopDone = this.loop();
  }

  async onApplicationShutdown(): Promise<void> {
    this.slots.close();
    this.wakeups.ring('stopping');
    await this.loopDone;
    await this.putBack(this.slots.takeUnsent());
    await this.slots.whenIdle();
    await this.outcomes.drain();
  }

  /**
   * One matched batch's hand-over (ADR 0020). `choose`, once per insert attempt, picks the matched
   * deliveries this process can start at once, to be stored already claimed (leased as a claim
   * would lease them) rather than pending and claimed a moment later, and reserves their room so
   * that a claim or another batch under way meanwhile cannot take it too. `settle`, once the
   * transaction has ended, gives every reservation back and holds what was stored claimed (none if
   * it failed).
   */
  beginHandOver(): BatchHandOver {
    const reservations: Array<() => void> = [];
    return {
      choose: (matched) => {
        const ids = handOverIds(matched, {
          free: this.slots.claimable(),
          perSubscription: this.slots.claimPerSubscription,
          held: this.slots.held,
        });
        if (ids.size > 0) {
          // By id: a change twice in one batch is matched twice and stored (and held) once.
          const chosen = new Map(
            matched.filter(({ id }) => ids.has(id)).map((d) => [d.id, d.subscriptionId]),
          );
          reservations.push(this.slots.reserve(chosen.size, [...chosen.values()]));
        }
        return { ids, leaseMs: this.leaseMs };
      },
      settle: (handed) => {
        reservations.forEach((giveBack) => giveBack());
        this.adopt(handed);
      },
    };
  }

  /** Starts the deliveries stored already claimed, once the transaction that stored them has committed. */
  private adopt(handed: ClaimedDelivery[]): void {
    if (handed.length === 0) return;
    // Stopping since they were matched: back to the queue now, not when their leases run out.
    if (!this.slots.open) void this.putBack(handed);
    else this.slots.adopt(handed);
  }

  /** New deliveries may be due (matched, retried, replayed, a test): look now rather than at the next poll. */
  wake(): void {
    this.wakeups.ring('deliveries-queued');
  }

  private async loop(): Promise<void> {
    let lastSweep = 0;
    while (this.slots.open) {
      try {
        if (Date.now() - lastSweep > LEASE_SWEEP_MS) {
          lastSweep = Date.now();
          const released = await this.deliveries.releaseExpiredLeases();
          if (released > 0) this.logger.warn(`${released} deliveries left mid-attempt are queued again`);
        }
        await this.claim();
      } catch (error) {
        this.logger.error(`claiming deliveries failed: ${(error as Error).message}`);
      }
      await this.wakeups.sleep(this.config.DISPATCH_POLL_INTERVAL);
    }
  }

  /** Claims as many due deliveries as SendSlots has room for; it starts what it can at once. */
  private async claim(): Promise<void> {
    const asked = this.slots.claimable();
    if (asked === 0) return this.slots.hold([], 0);
    const giveBack = this.slots.reserve(asked);
    let claimed: ClaimedDelivery[];
    try {
      claimed = await this.deliveries.claim(
        asked,
        this.slots.claimPerSubscription,
        this.leaseMs,
        this.slots.held,
      );
    } finally {
      giveBack();
    }
    this.slots.hold(claimed, asked);
  }

  private get leaseMs(): number {
    return (2 + READY_PER_SLOT) * this.config.DISPATCH_TIMEOUT + LEASE_MARGIN_MS;
  }

  /** Shutting down: what was claimed but never started goes back to the queue now, not at lease end. */
  private async putBack(unsent: ClaimedDelivery[]): Promise<void> {
    if (unsent.length === 0) return;
    try {
      await this.deliveries.release(unsent);
    } catch (error) {
      // Their leases run out and the sweep queues them again; the stop goes on to the outcomes.
      this.logger.warn(`could not release ${unsent.length} claimed deliveries: ${(error as Error).message}`);
    }
  }

  private send(delivery: ClaimedDelivery, release: ReleaseSlot): void {
    void this.attempt(delivery)
      // The delivery stays leased and is sent again once the lease runs out.
      .catch((error: unknown) =>
        this.logger.error(`attempt of ${delivery.id} failed: ${(error as Error).message}`),
      )
      .finally(release);
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const secrets = this.secrets.signingSecrets({
      tenant_id: delivery.tenant_id,
      id: delivery.subscription_id,
      secret_sealed: delivery.secret_sealed,
      previous_secret_sealed: delivery.previous_secret_sealed,
      previous_secret_expires_at: delivery.previous_secret_expires_at,
    });
    const attemptedAt = new Date();
    const target = {
      signature_scheme: delivery.signature_scheme,
      headers: this.secrets.openHeaders(delivery.tenant_id, delivery.subscription_id, delivery.headers),
    };
    const headers = webhookHeaders(target, secrets, delivery.id, delivery.body, attemptedAt.getTime());
    const result = await sendTraced(delivery, headers, (sent) =>
      this.client.post(delivery.endpoint, sent, delivery.body),
    );
    const decision = decide(result, delivery.attempts, {
      schedule: this.config.DISPATCH_RETRY_SCHEDULE,
      jitter: this.config.DISPATCH_RETRY_JITTER,
    });
    countAttempt(delivery, result, decision);
    this.outcomes.add(delivery, decision, {
      tenantId: delivery.tenant_id,
      attemptId: `att_${randomUUID()}`,
      deliveryId: delivery.id,
      attemptedAt,
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      error: result.error,
      responseBody: result.responseBody,
      status: decision.kind === 'succeeded' ? 'succeeded' : decision.kind === 'retry' ? 'pending' : 'failed',
      nextAttemptAt: decision.kind === 'retry' ? decision.at : null,
    });
  }
}
