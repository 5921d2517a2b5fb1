import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import {
  deadLetterMessage,
  EVENT_BUS,
  type BatchContext,
  type ConsumedMessage,
  type EventBus,
  type OutgoingMessage,
} from '@hub/bus';
import type { EntityManager } from 'typeorm';
import {
  CanonicalEventMessage,
  CLOUDEVENTS_CONTENT_TYPE,
  entityKey,
  isCanonicalEvent,
  topicNames,
  type CanonicalEvent,
} from '@hub/contracts';
import { ProjectorConfig } from '../config/projector.config.js';
import { ProjectionService, type StateChange } from './projection.service.js';

interface Poison {
  message: ConsumedMessage;
  error: string;
  attempts: number;
}

/**
 * The projector's one consumer group over the canonical topics. Thin: validates each message,
 * hands valid events to ProjectionService inside one transaction per batch, publishes the state
 * changes through the batch context (in that transaction on the Postgres log, just before it
 * commits on Kafka), and dead-letters what can never be applied.
 */
@Injectable()
export class ProjectionConsumer implements OnApplicationBootstrap {
  private readonly logger = new Logger('ProjectionConsumer');
  private readonly topics;
  /**
   * Failed tries per event id (0: in a batch that failed, not yet known to fail itself); an event
   * past the limit is dead-lettered instead of applied. Counted per process.
   */
  private readonly failures = new Map<string, number>();

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
      topics: [this.topics.projects, this.topics.customers, this.topics.monitoring],
      maxBatchSize: this.config.PROJECTOR_BATCH_SIZE,
      // Several partitions at once: one applies while another waits on Postgres (see the setting).
      concurrency: this.config.PROJECTOR_CONCURRENCY,
      handler: (messages, context) =>
        context.transaction(async (manager) => {
          // Shared with other batches; a rebuild takes it exclusively while it rewrites the models.
          await manager.query('SELECT pg_advisory_xact_lock_shared($1)', [REBUILD_LOCK]);
          const { events, poison } = this.validate(messages);
          const changes = await this.apply(manager, events);
          // In this transaction on the Postgres log: published exactly when the batch commits.
          await this.deadLetter(context, poison);
          await this.publishChanges(context, changes);
        }),
    });
  }

  /**
   * Valid events to apply, and what goes to the dead-letter topic: messages that are not
   * canonical events, and events that already failed PROJECTOR_MAX_ATTEMPTS times.
   */
  private validate(messages: ConsumedMessage[]): { events: CanonicalEvent[]; poison: Poison[] } {
    const events: CanonicalEvent[] = [];
    const poison: Poison[] = [];
    for (const message of messages) {
      const parsed = parseEvent(message);
      if ('error' in parsed) {
        poison.push({ message, error: parsed.error, attempts: 1 });
        continue;
      }
      const attempts = this.failures.get(parsed.event.id) ?? 0;
      if (attempts >= this.config.PROJECTOR_MAX_ATTEMPTS) {
        poison.push({ message, error: `failed ${attempts} times`, attempts });
        this.failures.delete(parsed.event.id);
        continue;
      }
      events.push(parsed.event);
    }
    return { events, poison };
  }

  /**
   * The whole batch at once; a batch that failed before goes one event at a time, so that only
   * the event that fails has its try counted.
   */
  private async apply(manager: EntityManager, events: CanonicalEvent[]): Promise<StateChange[]> {
    if (!events.some((event) => this.failures.has(event.id))) {
      try {
        return await this.projection.applyBatch(manager, events);
      } catch (error) {
        for (const event of events) if (!this.failures.has(event.id)) this.failures.set(event.id, 0);
        throw error;
      }
    }
    const changes: StateChange[] = [];
    for (const event of events) {
      try {
        changes.push(...(await this.projection.applyBatch(manager, [event])));
      } catch (error) {
        this.failures.set(event.id, (this.failures.get(event.id) ?? 0) + 1);
        throw error;
      }
    }
    for (const event of events) this.failures.delete(event.id);
    return changes;
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
      poison.map(({ message, error, attempts }) =>
        deadLetterMessage(this.config.PROJECTOR_GROUP_ID, message, error, attempts),
      ),
    );
  }
}

/** The advisory lock between live batches (shared) and a rebuild (exclusive). */
export const REBUILD_LOCK = 7_220_512_001;

/** Every consumer validates what it reads: a Kafka handler has no pipe to do it. */
export function parseEvent(message: ConsumedMessage): { event: CanonicalEvent } | { error: string } {
  let body: unknown;
  try {
    body = JSON.parse(message.value.toString('utf8'));
  } catch {
    return { error: 'the message is not JSON' };
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return { error: 'the message is not a JSON object' };
  if (isCanonicalEvent(body as Record<string, unknown>)) return { event: body as CanonicalEvent };
  // Rejected: the decorators' own run says why, in their words.
  const event = plainToInstance(CanonicalEventMessage, body);
  const errors = validateSync(event, { forbidUnknownValues: false });
  if (errors.length > 0) {
    return {
      error: `not a canonical event: ${errors.map((e) => Object.values(e.constraints ?? {}).join(', ')).join('; ')}`,
    };
  }
  return { event: event as unknown as CanonicalEvent };
}
