import { Injectable, Logger } from '@nestjs/common';
import { buildOperationalEvent, isOperationalType, OPERATIONAL_TYPES } from '@hub/contracts';
import { DispatcherConfig } from '../config/dispatcher.config.js';
import { OperationalEvents } from '../operational/operational-events.js';
import { countDisabled, type DisabledReason } from '../subscriptions/subscription.metrics.js';
import { SubscriptionRepository, type SubscriptionRow } from '../subscriptions/subscription.repository.js';
import type { AttemptRecord, ClaimedDelivery } from './delivery.repository.js';
import { logDisabledSubscription, logFailedAttempt } from './delivery.logs.js';
import { DeliveryRepository } from './delivery.repository.js';
import type { Decision } from './retry-policy.js';
import { SendWakeups } from './send-wakeups.js';

interface Outcome {
  delivery: ClaimedDelivery;
  decision: Decision;
  record: AttemptRecord;
}

const RETRY_FLUSH_MS = 1_000;
const DRAIN_TRIES = 5;

/**
 * Writes attempt outcomes in batches, then does what they imply: subscriptions with a success are
 * healthy again; failing ones may be disabled; 410 Gone disables at once; exhausted deliveries are
 * announced. Until an outcome is written its delivery stays leased, so a crash re-sends it (same
 * id, same body) rather than losing it.
 */
@Injectable()
export class AttemptOutcomes {
  private readonly logger = new Logger('AttemptOutcomes');
  private buffer: Outcome[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** A write is under way. */
  private active = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly subscriptions: SubscriptionRepository,
    private readonly events: OperationalEvents,
    private readonly wakeups: SendWakeups,
    private readonly config: DispatcherConfig,
  ) {}

  add(delivery: ClaimedDelivery, decision: Decision, record: AttemptRecord): void {
    logFailedAttempt(delivery, decision, record);
    this.buffer.push({ delivery, decision, record });
    this.kick();
  }

  /**
   * Writes everything gathered so far, for shutdown. While the database is unreachable it gives
   * up after a few tries: the deliveries stay leased and are sent again once the lease runs out.
   */
  async drain(): Promise<void> {
    for (let tries = 0; tries < DRAIN_TRIES && (this.buffer.length > 0 || this.timer); tries++) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      await this.flush();
      if (this.buffer.length > 0) await new Promise((resolve) => setTimeout(resolve, RETRY_FLUSH_MS));
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.writing;
  }

  /**
   * Group commit: a write starts as soon as none is under way, and what arrives meanwhile goes in
   * the next one, so batches grow with the load and no outcome waits on a timer.
   */
  private kick(): void {
    if (this.active || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, 0);
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, delayMs);
  }

  private flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      this.active = true;
      try {
        await this.writeBatch();
      } finally {
        this.active = false;
      }
      if (this.buffer.length > 0 && !this.timer) this.kick();
    });
    return this.writing;
  }

  private async writeBatch(): Promise<void> {
    const batch = this.buffer;
    if (batch.length === 0) return;
    this.buffer = [];
    try {
      await this.deliveries.recordAttempts(batch.map((outcome) => outcome.record));
    } catch (error) {
      this.logger.error(
        `recording ${batch.length} attempts failed, trying again: ${(error as Error).message}`,
      );
      this.buffer = [...batch, ...this.buffer];
      this.schedule(RETRY_FLUSH_MS);
      return;
    }
    // The batch's deliveries have left `sending`: under `ordering = entity` the next delivery of
    // each of their entities may be claimed. Under `none` nothing waited for them, and a claim on
    // every batch of outcomes found nothing in 9 of 10 (at 500 deliveries/s, 100 claims a second).
    if (batch.some(({ delivery }) => delivery.ordering === 'entity')) this.wakeups.ring('outcomes-recorded');
    await this.followUp(batch).catch((error: unknown) =>
      this.logger.error(`updating subscription health failed: ${(error as Error).message}`),
    );
  }

  private async followUp(batch: Outcome[]): Promise<void> {
    const succeeded = new Set<string>();
    const recovered = new Set<string>();
    const failing = new Map<string, ClaimedDelivery>();
    for (const { delivery, decision } of batch) {
      if (decision.kind === 'succeeded') {
        succeeded.add(delivery.subscription_id);
        // Only a subscription that was failing has anything to clear.
        if (delivery.failing_since) recovered.add(delivery.subscription_id);
      } else if (decision.kind === 'gone') await this.disableGone(delivery);
      else failing.set(delivery.subscription_id, delivery);
      if (decision.kind === 'exhausted') await this.announceExhausted(delivery);
    }
    await this.subscriptions.markHealthy([...recovered]);
    for (const delivery of failing.values()) {
      if (succeeded.has(delivery.subscription_id)) continue;
      const disabled = await this.subscriptions.recordFailure(
        delivery.tenant_id,
        delivery.subscription_id,
        this.config.DISPATCH_DISABLE_AFTER,
      );
      if (disabled) await this.announceDisabled(disabled, 'failing');
    }
  }

  private async disableGone(delivery: ClaimedDelivery): Promise<void> {
    const disabled = await this.subscriptions.disable(
      delivery.tenant_id,
      delivery.subscription_id,
      'the endpoint answered 410 Gone',
    );
    if (disabled) await this.announceDisabled(disabled, 'gone');
  }

  private async announceDisabled(row: SubscriptionRow, reason: DisabledReason): Promise<void> {
    countDisabled(reason);
    logDisabledSubscription(row);
    await this.events.publish(
      buildOperationalEvent(
        OPERATIONAL_TYPES.subscriptionDisabled,
        row.tenant_id,
        row.id,
        { subscription_id: row.id, endpoint: row.endpoint, reason: row.status_reason },
        [row.updated_at.toISOString()],
      ),
    );
  }

  /** Announced on the bus and dead-lettered; never for an operational event, so failures cannot feed themselves. */
  private async announceExhausted(delivery: ClaimedDelivery): Promise<void> {
    if (isOperationalType(delivery.event_type)) return;
    await this.events.publish(
      buildOperationalEvent(
        OPERATIONAL_TYPES.deliveryExhausted,
        delivery.tenant_id,
        delivery.subscription_id,
        {
          subscription_id: delivery.subscription_id,
          delivery_id: delivery.id,
          event_type: delivery.event_type,
          attempts: delivery.attempts + 1,
          endpoint: delivery.endpoint,
        },
        [delivery.id, String(delivery.attempts)],
      ),
      true,
    );
  }
}
