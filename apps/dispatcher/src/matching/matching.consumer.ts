import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import {
  applyIsolatingPoison,
  deadLetterMessage,
  EVENT_BUS,
  type BatchContext,
  type ConsumedMessage,
  type EventBus,
} from '@hub/bus';
import { parseStateChange, topicNames, type DispatchableEvent } from '@hub/contracts';
import { DispatcherConfig } from '../config/dispatcher.config.js';
import { DeliveryRepository } from '../deliveries/delivery.repository.js';
import { DeliveryWorker } from '../deliveries/delivery.worker.js';
import { SubscriptionRepository } from '../subscriptions/subscription.repository.js';
import { MatchingService } from './matching.service.js';

/**
 * The dispatcher's one consumer group over the state-changes topic (which also carries the
 * monitoring and activity events the projector passes through, and our operational events).
 * Each batch's deliveries are inserted in one transaction; on the Postgres log the offset commits
 * in it too, and on Kafka the unique (subscription, change) key absorbs a redelivered batch.
 */
@Injectable()
export class MatchingConsumer implements OnApplicationBootstrap {
  private readonly logger = new Logger('MatchingConsumer');
  private readonly topics;

  constructor(
    private readonly matching: MatchingService,
    private readonly subscriptions: SubscriptionRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly worker: DeliveryWorker,
    private readonly config: DispatcherConfig,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {
    this.topics = topicNames(config.TOPIC_PREFIX);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.subscribe({
      groupId: this.config.DISPATCHER_GROUP_ID,
      topics: [this.topics.stateChanges],
      maxBatchSize: 500,
      handler: async (messages, context) => {
        const { events, invalid } = this.validate(messages);
        const inserted = await context.transaction(async (manager) => {
          const tenants = [...new Set(events.map(({ event }) => event.tenant))];
          const subscriptions = tenants.length ? await this.subscriptions.listActive(manager, tenants) : [];
          const { results, poisoned } = await applyIsolatingPoison(manager, events, async (some) => [
            await this.deliveries.insertMatched(
              this.matching.match(
                some.map(({ event }) => event),
                subscriptions,
              ),
              manager,
            ),
          ]);
          await this.deadLetter(
            [...invalid, ...poisoned.map(({ item, error }) => ({ message: item.message, error }))],
            context,
          );
          return results.reduce((sum, count) => sum + count, 0);
        });
        if (inserted > 0) this.worker.wake();
      },
    });
  }

  private validate(messages: ConsumedMessage[]) {
    const events: Array<{ event: DispatchableEvent; message: ConsumedMessage }> = [];
    const invalid: Array<{ message: ConsumedMessage; error: string }> = [];
    for (const message of messages) {
      const parsed = parseStateChange(message.value);
      if ('error' in parsed) invalid.push({ message, error: parsed.error });
      else events.push({ event: parsed.value, message });
    }
    return { events, invalid };
  }

  /**
   * A message that is not an event can never match, and one whose deliveries cannot be stored never
   * will: each goes aside with the reason, in the batch's transaction, and the partition moves on.
   */
  private async deadLetter(
    invalid: Array<{ message: ConsumedMessage; error: string }>,
    context: BatchContext,
  ): Promise<void> {
    if (invalid.length === 0) return;
    for (const { message, error } of invalid) {
      this.logger.error(`dead-lettering ${message.topic}/${message.partition}@${message.offset}: ${error}`);
    }
    await context.publish(
      this.topics.deadLetters,
      invalid.map(({ message, error }) => deadLetterMessage(this.config.DISPATCHER_GROUP_ID, message, error)),
    );
  }
}
