import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EVENT_BUS, type EventBus, type OutgoingMessage } from '@hub/bus';
import { cloudEventMessage, topicNames } from '@hub/contracts';
import { withTraceContext } from '@hub/telemetry';
import { ProjectorConfig } from '../config/projector.config.js';
import type { StateChange } from '../projection/state-change.js';

/** The Postgres log's append into a caller's transaction (PostgresLogBus.append). */
interface AppendsInTransaction {
  append(manager: EntityManager, topic: string, messages: OutgoingMessage[]): Promise<void>;
}

function appendsInTransaction(bus: EventBus): bus is EventBus & AppendsInTransaction {
  return (
    bus.transport === 'postgres-log' && typeof (bus as Partial<AppendsInTransaction>).append === 'function'
  );
}

/**
 * Publishes the state changes a request's re-evaluation caused (a rules change, a manual link), as
 * the projection consumer publishes its own: on the Postgres log appended in the request's
 * transaction, so they become visible exactly when it commits; on Kafka just before it commits (a
 * failed publish rolls the request back; a failed commit after it leaves a change its
 * deterministic id lets consumers drop when it comes again). Each continues the request's trace,
 * so a webhook it becomes is in the trace of the request that caused it.
 */
@Injectable()
export class UnifiedChangesPublisher {
  private readonly topic: string;

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    config: ProjectorConfig,
  ) {
    this.topic = topicNames(config.TOPIC_PREFIX).stateChanges;
  }

  async publish(manager: EntityManager, changes: StateChange[]): Promise<void> {
    if (changes.length === 0) return;
    const messages = changes.map((change) => cloudEventMessage(change, change.json));
    if (!appendsInTransaction(this.bus)) {
      // With tracing on, the bus stamps each message with the request's trace (tracedBus).
      await this.bus.publish(this.topic, messages);
      return;
    }
    // The append bypasses that stamp: the messages carry the request's trace themselves, when
    // there is one (tracing off: no span, no header).
    const traced = messages.map((message) => ({ ...message, headers: withTraceContext(message.headers) }));
    await this.bus.append(manager, this.topic, traced);
  }
}
