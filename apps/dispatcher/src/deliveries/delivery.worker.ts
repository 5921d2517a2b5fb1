import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DispatcherConfig } from '../config/dispatcher.config.js';
import { OutboundClient } from '../outbound/outbound.client.js';
import { webhookHeaders } from '../outbound/webhook-request.js';
import { SubscriptionSecrets } from '../subscriptions/subscription-secrets.js';
import { AttemptOutcomes } from './attempt-outcomes.js';
import { DeliveryRepository, type ClaimedDelivery } from './delivery.repository.js';
import { decide } from './retry-policy.js';

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
 * Sends due deliveries: claims as many as it has free slots plus as many again held ready, posts
 * each (never more than DISPATCH_ENDPOINT_CONCURRENCY in flight for one subscription in this
 * process, whatever is ready for it), and hands the outcome to AttemptOutcomes. A slot is free
 * again as soon as its request has ended, not when the outcome is written. Woken when changes are
 * matched or a slot frees; otherwise it polls, so several processes share the queue through the
 * database alone.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DeliveryWorker');
  private inFlight = 0;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | null = null;
  private woken = false;
  /** Requests in flight per subscription in this process. */
  private readonly perSubscription = new Map<string, number>();
  /** Claimed, leased, not started yet: waiting for a slot, oldest first. */
  private ready: ClaimedDelivery[] = [];
  /** In flight plus ready, per subscription: what the next claim counts as taken. */
  private readonly heldPerSubscription = new Map<string, number>();
  /** The last claim was held back by a limit: a slot freed by a finished attempt may find more work. */
  private slotBound = true;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly client: OutboundClient,
    private readonly secrets: SubscriptionSecrets,
    private readonly outcomes: AttemptOutcomes,
    private readonly config: DispatcherConfig,
  ) {}

  onApplicationBootstrap(): void {
    // With ordering by entity, an entity's next delivery becomes due once the last one is recorded.
    this.outcomes.onRecorded(() => this.wake());
    this.running = true;
    this.loopDone = this.loop();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loopDone;
    await this.releaseReady();
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.add(resolve));
    await this.outcomes.drain();
  }

  /** New deliveries may be due: look now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async loop(): Promise<void> {
    let lastSweep = 0;
    while (this.running) {
      try {
        if (Date.now() - lastSweep > LEASE_SWEEP_MS) {
          lastSweep = Date.now();
          const released = await this.deliveries.releaseExpiredLeases();
          if (released > 0) this.logger.warn(`${released} deliveries left mid-attempt are queued again`);
        }
        const slots = this.config.DISPATCH_CONCURRENCY;
        const free = slots * (1 + READY_PER_SLOT) - this.inFlight - this.ready.length;
        if (free > 0) {
          const limit = this.config.DISPATCH_ENDPOINT_CONCURRENCY * (1 + READY_PER_SLOT);
          const claimed = await this.deliveries.claim(
            free,
            limit,
            (2 + READY_PER_SLOT) * this.config.DISPATCH_TIMEOUT + LEASE_MARGIN_MS,
            this.heldPerSubscription,
          );
          claimed.forEach((delivery) => this.hold(delivery));
          if (this.running) this.startReady();
          this.slotBound =
            claimed.length >= free || [...this.heldPerSubscription.values()].some((n) => n >= limit);
        } else {
          this.slotBound = true;
        }
      } catch (error) {
        this.logger.error(`claiming deliveries failed: ${(error as Error).message}`);
      }
      await this.sleep();
    }
  }

  private sleep(): Promise<void> {
    if (this.woken || !this.running) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, this.config.DISPATCH_POLL_INTERVAL);
      this.wakeUp = done;
    });
  }

  private hold(delivery: ClaimedDelivery): void {
    this.ready.push(delivery);
    count(this.heldPerSubscription, delivery.subscription_id, +1);
  }

  /**
   * Starts ready deliveries while slots are free, skipping subscriptions at their limit. One whose
   * lease could run out during its attempt is dropped instead: the sweep queues it again, and no
   * other worker can have it while this one might still send it.
   */
  private startReady(): void {
    if (this.ready.length === 0 || this.inFlight >= this.config.DISPATCH_CONCURRENCY) return;
    const waiting: ClaimedDelivery[] = [];
    const startBy = Date.now() + this.config.DISPATCH_TIMEOUT + LEASE_MARGIN_MS / 2;
    for (const delivery of this.ready) {
      if (delivery.lease_until.getTime() < startBy) {
        count(this.heldPerSubscription, delivery.subscription_id, -1);
        continue;
      }
      const busy = this.perSubscription.get(delivery.subscription_id) ?? 0;
      if (
        this.inFlight < this.config.DISPATCH_CONCURRENCY &&
        busy < this.config.DISPATCH_ENDPOINT_CONCURRENCY
      ) {
        this.start(delivery);
      } else {
        waiting.push(delivery);
      }
    }
    this.ready = waiting;
  }

  /** Shutting down: what was claimed but never started goes back to the queue now, not at lease end. */
  private async releaseReady(): Promise<void> {
    const unsent = this.ready;
    this.ready = [];
    unsent.forEach((delivery) => count(this.heldPerSubscription, delivery.subscription_id, -1));
    if (unsent.length === 0) return;
    try {
      await this.deliveries.release(unsent);
    } catch (error) {
      // Their leases run out and the sweep queues them again; the stop goes on to the outcomes.
      this.logger.warn(`could not release ${unsent.length} claimed deliveries: ${(error as Error).message}`);
    }
  }

  private start(delivery: ClaimedDelivery): void {
    this.inFlight++;
    const subscription = delivery.subscription_id;
    count(this.perSubscription, subscription, +1);
    void this.attempt(delivery)
      // The delivery stays leased and is sent again once the lease runs out.
      .catch((error: unknown) =>
        this.logger.error(`attempt of ${delivery.id} failed: ${(error as Error).message}`),
      )
      .finally(() => {
        this.inFlight--;
        count(this.perSubscription, subscription, -1);
        count(this.heldPerSubscription, subscription, -1);
        if (this.running) this.startReady();
        if (this.inFlight === 0) {
          this.idle.forEach((resolve) => resolve());
          this.idle.clear();
        }
        // Otherwise the last claim took everything due, and the freed slot would find nothing.
        if (this.slotBound) this.wake();
      });
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
    const result = await this.client.post(delivery.endpoint, headers, delivery.body);
    const decision = decide(result, delivery.attempts, {
      schedule: this.config.DISPATCH_RETRY_SCHEDULE,
      jitter: this.config.DISPATCH_RETRY_JITTER,
    });
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

function count(counts: Map<string, number>, key: string, by: 1 | -1): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}
