import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { topicNames, type CanonicalEvent } from '@hub/contracts';
import { BusConsumer, LaneContext, type Decoded } from '@hub/runtime';
import { ProjectorConfig } from '../config/projector.config.js';
import { PROJECTION_LANE } from './projection.lane-table.js';
import { countAppliedBatch } from './projection.metrics.js';
import { ProjectionRepository } from './projection.repository.js';
import { ProjectionService, type StateChange } from './projection.service.js';
import { changeMessages } from './projection.tracing.js';

/**
 * The projector's two consumer lanes: the canonical topics, and their slow lanes (what ingest
 * accepted from a tenant beyond its fair share). Thin: hands each batch's events to
 * ProjectionService inside one transaction, publishes the state changes through the lane context
 * (in that transaction on the Postgres log, just before it commits on Kafka). The transport
 * validates and dead-letters (BusConsumer).
 */
@BusConsumer()
export class ProjectionConsumer {
  private readonly topics;

  constructor(
    private readonly projection: ProjectionService,
    private readonly repository: ProjectionRepository,
    config: ProjectorConfig,
  ) {
    this.topics = topicNames(config.TOPIC_PREFIX);
  }

  @EventPattern<string>(PROJECTION_LANE.canonical)
  applyCanonical(
    @Payload() events: Array<Decoded<CanonicalEvent>>,
    @Ctx() context: LaneContext,
  ): Promise<void> {
    return this.apply(events, context);
  }

  /** The slow lane's pace (its rest after each batch) is the lane's, in the lane table. */
  @EventPattern<string>(PROJECTION_LANE.slow)
  applySlow(@Payload() events: Array<Decoded<CanonicalEvent>>, @Ctx() context: LaneContext): Promise<void> {
    return this.apply(events, context);
  }

  private async apply(events: Array<Decoded<CanonicalEvent>>, context: LaneContext): Promise<void> {
    const started = process.hrtime.bigint();
    const changes = await context.transaction(async (manager) => {
      await this.repository.holdRebuildLockShared(manager);
      const changes = await context.applyIsolatingPoison(events, (some) =>
        this.projection.applyBatch(
          manager,
          some.map(({ value }) => value),
        ),
      );
      // In this transaction on the Postgres log: published exactly when the batch commits.
      await this.publishChanges(context, changes, events);
      return changes;
    });
    countAppliedBatch(events, context.deadLettered, changes, started);
  }

  private async publishChanges(
    context: LaneContext,
    changes: StateChange[],
    events: Array<Decoded<CanonicalEvent>>,
  ): Promise<void> {
    if (changes.length === 0) return;
    await context.publish(this.topics.stateChanges, changeMessages(changes, events, context));
  }
}
