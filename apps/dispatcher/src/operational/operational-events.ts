import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_BUS, type EventBus } from '@hub/bus';
import { cloudEventMessage, topicNames, type DispatchableEvent } from '@hub/contracts';
import { DispatcherConfig } from '../config/dispatcher.config.js';

/**
 * Publishes the dispatcher's own events (delivery.exhausted, subscription.disabled,
 * subscription.recovered) onto the state-changes topic, where the dispatcher matches them like any
 * other type. They are published after the state they report is committed; a failed publish is
 * logged and the state itself (the delivery log, the subscription's status) stays the record.
 */
@Injectable()
export class OperationalEvents {
  private readonly logger = new Logger('OperationalEvents');
  private readonly topics;

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    config: DispatcherConfig,
  ) {
    this.topics = topicNames(config.TOPIC_PREFIX);
  }

  async publish(event: DispatchableEvent, alsoDeadLetter = false): Promise<void> {
    const message = cloudEventMessage(event);
    try {
      const topics = alsoDeadLetter
        ? [this.topics.stateChanges, this.topics.deadLetters]
        : [this.topics.stateChanges];
      await this.bus.publishAll(topics.map((topic) => ({ topic, messages: [message] })));
    } catch (error) {
      this.logger.error(`could not publish ${event.type} ${event.subject}: ${(error as Error).message}`);
    }
  }
}
