import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { DispatchableEvent } from '@hub/contracts';
import { BusConsumer, LaneContext, type Decoded } from '@hub/runtime';
import { DeliveryRepository, type ClaimedDelivery } from '../deliveries/delivery.repository.js';
import { DeliveryWorker } from '../deliveries/delivery.worker.js';
import { claimedOnInsert } from '../deliveries/hand-over.js';
import { SubscriptionRepository } from '../subscriptions/subscription.repository.js';
import { MATCHING_LANE } from './matching.lane-table.js';
import { MatchingService } from './matching.service.js';
import { withMatchedTraces } from './matching.tracing.js';

/**
 * The dispatcher's consumer of state changes. Each batch's deliveries are inserted in one
 * transaction; on the Postgres log the offset commits in it too, and on Kafka the unique
 * (subscription, change) key absorbs a redelivered batch. Those this process has send slots for
 * are stored already claimed and started once the transaction has committed; the rest wait for a
 * claim. The transport validates and dead-letters (BusConsumer): a message that is not an event
 * can never match, and one whose deliveries cannot be stored never will; each goes aside with the
 * reason and the partition moves on.
 */
@BusConsumer()
export class MatchingConsumer {
  constructor(
    private readonly matching: MatchingService,
    private readonly subscriptions: SubscriptionRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly worker: DeliveryWorker,
  ) {}

  @EventPattern<string>(MATCHING_LANE.stateChanges)
  async match(
    @Payload() events: Array<Decoded<DispatchableEvent>>,
    @Ctx() context: LaneContext,
  ): Promise<void> {
    const handOver = this.worker.beginHandOver();
    let stored: Array<{ queued: number; handed: ClaimedDelivery[] }> = [];
    try {
      stored = await context.transaction(async (manager) => {
        const tenants = [...new Set(events.map(({ value }) => value.tenant))];
        const subscriptions = tenants.length ? await this.subscriptions.listActive(manager, tenants) : [];
        return context.applyIsolatingPoison(events, async (some) => {
          const matched = withMatchedTraces(
            this.matching.match(
              some.map(({ value }) => value),
              subscriptions,
            ),
            some,
            context,
          );
          const { inserted, claimed } = await this.deliveries.insertMatched(
            matched,
            manager,
            handOver.choose(matched),
          );
          return [
            { queued: inserted - claimed.length, handed: claimedOnInsert(matched, subscriptions, claimed) },
          ];
        });
      });
    } finally {
      handOver.settle(stored.flatMap(({ handed }) => handed));
    }
    if (stored.some(({ queued }) => queued > 0)) this.worker.wake();
  }
}
