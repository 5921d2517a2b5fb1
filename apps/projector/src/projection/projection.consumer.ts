import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import {
  applyIsolatingPoison,
  deadLetterMessage,
  EVENT_BUS,
  type BatchContext,
  type ConsumedMessage,
  type EventBus,
  type OutgoingMessage,
} from '@hub/bus';
import {
  canonicalTopics,
  CLOUDEVENTS_CONTENT_TYPE,
  entityKey,
  parseCanonicalEvent,
  topicNames,
  type CanonicalEvent,
} from '@hub/contracts';
import { restFor } from '@hub/runtime';
import { ProjectorConfig } from '../config/projector.config.js';
import { ProjectionService, type StateChange } from './projection.service.js';

interface Poison {
  message: ConsumedMessage;
  error: string;
}

/**
 * The projector's two consumer groups: the canonical topics, and their slow lanes (what ingest
 * accepted from a tenant beyond its fair share). Thin: validates each message,
 * hands valid events to ProjectionService inside one transaction per batch, publishes the state
 * changes through the batch context (in that transaction on the Postgres log, just before it
 * commits on Kafka), and dead-letters what can never be applied.
 */
@Injectable()
export class ProjectionConsumer implements OnApplicationBootstrap {
  private readonly logger = new Logger('ProjectionConsumer');
  private readonly topics;

  constructor(
    private readonly projection: ProjectionService,
    private readonly config: ProjectorConfig,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {
    this.topics = topicNames(config.TOPIC_PREFIX);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.subscribe({
      groupId: this.config.PROJECTOR_GROUP_ID,
      topics: canonicalTopics(this.topics, 'main'),
      maxBatchSize: this.config.PROJECTOR_BATCH_SIZE,
      // Several partitions at once: one applies while another waits on Postgres (see the setting).
      concurrency: this.config.PROJECTOR_CONCURRENCY,
      handler: (messages, context) => this.handle(messages, context),
    });
    // A tenant's surplus over its fair share: one partition at a time, in small batches, so the
    // main lane's batches wait behind at most one short stretch of it, on the thread and in Postgres.
    await this.bus.subscribe({
      groupId: `${this.config.PROJECTOR_GROUP_ID}.slow`,
      topics: canonicalTopics(this.topics, 'slow'),
      maxBatchSize: Math.min(SLOW_LANE_BATCH_SIZE, this.config.PROJECTOR_BATCH_SIZE),
      concurrency: 1,
      handler: (messages, context) => this.handleAtItsShare(messages, context),
    });
  }

  /** A slow-lane batch, then a rest in proportion, so the lane stays within its share of the time. */
  private async handleAtItsShare(messages: ConsumedMessage[], context: BatchContext): Promise<void> {
    const started = performance.now();
    await this.handle(messages, context);
    const busy = performance.now() - started;
    const rest = restFor(busy, this.config.PROJECTOR_SLOW_LANE_PERCENT);
    if (rest >= 1) await new Promise((resolve) => setTimeout(resolve, rest));
  }

  private handle(messages: ConsumedMessage[], context: BatchContext): Promise<void> {
    return context.transaction(async (manager) => {
      // Shared with other batches; a rebuild takes it exclusively while it rewrites the models.
      await manager.query('SELECT pg_advisory_xact_lock_shared($1)', [REBUILD_LOCK]);
      const { events, invalid } = validate(messages);
      const { results, poisoned } = await applyIsolatingPoison(manager, events, (some) =>
        this.projection.applyBatch(
          manager,
          some.map(({ event }) => event),
        ),
      );
      const poison = [...invalid, ...poisoned.map(({ item, error }) => ({ message: item.message, error }))];
      // In this transaction on the Postgres log: published exactly when the batch commits.
      await this.deadLetter(context, poison);
      await this.publishChanges(context, results);
    });
  }

  private async publishChanges(context: BatchContext, changes: StateChange[]): Promise<void> {
    if (changes.length === 0) return;
    const messages: OutgoingMessage[] = changes.map((change) => ({
      key: entityKey(change.tenant, change.subject),
      value: change.json,
      headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE, 'ce-id': change.id, 'ce-type': change.type },
    }));
    await context.publish(this.topics.stateChanges, messages);
  }

  private async deadLetter(context: BatchContext, poison: Poison[]): Promise<void> {
    if (poison.length === 0) return;
    for (const { message, error } of poison) {
      this.logger.error(`dead-lettering ${message.topic}/${message.partition}@${message.offset}: ${error}`);
    }
    await context.publish(
      this.topics.deadLetters,
      poison.map(({ message, error }) => deadLetterMessage(this.config.PROJECTOR_GROUP_ID, message, error)),
    );
  }
}

/** Canonical events to apply (each with the message it came in), and messages that are not events. */
function validate(messages: ConsumedMessage[]): {
  events: Array<{ event: CanonicalEvent; message: ConsumedMessage }>;
  invalid: Poison[];
} {
  const events: Array<{ event: CanonicalEvent; message: ConsumedMessage }> = [];
  const invalid: Poison[] = [];
  for (const message of messages) {
    const parsed = parseCanonicalEvent(message.value);
    if ('error' in parsed) invalid.push({ message, error: parsed.error });
    else events.push({ event: parsed.value, message });
  }
  return { events, invalid };
}

/** Events per batch on the slow lane. */
const SLOW_LANE_BATCH_SIZE = 100;

/** The advisory lock between live batches (shared) and a rebuild (exclusive). */
export const REBUILD_LOCK = 7_220_512_001;
