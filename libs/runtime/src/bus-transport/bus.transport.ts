import {
  Catch,
  Controller,
  Logger,
  UseFilters,
  applyDecorators,
  type ArgumentsHost,
  type RpcExceptionFilter,
} from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom, throwError, type Observable } from 'rxjs';
import type { ConsumedMessage, EventBus, Subscription } from '@hub/bus';
import type { ConsumerLane, Decoded, LaneTable, Rejected } from './consumer-lane.js';
import { countCommittedBatch } from './bus-transport.metrics.js';
import { inBatchSpans, type TracedLane } from './batch-spans.js';
import { LaneContext } from './lane-context.js';
import { TransportLaneStates } from './lane-states.js';
import type { LaneSource, LaneStatus } from '../health/lane-registry.js';

/** Tells our handlers apart from those of any other transport an app might connect. */
export const BUS_TRANSPORT = Symbol('bus');

export interface BusTransportOptions {
  /** Every lane the app consumes, by the `@EventPattern` name of its handler. */
  lanes: LaneTable;
  /** Where every lane puts what it cannot decode or apply. */
  deadLetterTopic: string;
  /**
   * Leave stopping the lanes to `stop()`, not to Nest's `close()`. Nest closes a hybrid app's
   * microservices before the app's shutdown hooks run; the apps' lanes keep consuming through
   * those (the dispatcher's worker drains there) and stop just before the bus closes (PlatformModule).
   */
  stoppedByCaller?: boolean;
}

/**
 * A Nest transport strategy over our bus: each lane is one `bus.subscribe`, and each batch one
 * call of the lane's `@EventPattern` handler with the decoded messages (`@Payload()`) and a
 * LaneContext (`@Ctx()`). Batching, offsets and redelivery stay the bus's: a handler that fails
 * fails its batch, which comes again. Per batch the transport decodes each message with the lane's
 * `parse`, hands over the rest, and dead-letters the messages that failed (see LaneContext).
 */
export class BusTransport extends Server implements CustomTransportStrategy, LaneSource {
  override readonly propagatesEventHandlerErrors = true;
  private subscriptions: Subscription[] = [];
  private readonly laneStates: TransportLaneStates;

  constructor(
    private readonly bus: EventBus,
    private readonly options: BusTransportOptions,
  ) {
    super();
    this.setTransportId(BUS_TRANSPORT);
    this.laneStates = new TransportLaneStates(Object.keys(options.lanes));
  }

  /** Each lane: starting, running, down after a failure, or stopped (for readiness). */
  laneStatuses(): LaneStatus[] {
    return this.laneStates.laneStatuses();
  }

  /** Subscribes every lane; the callback gets the first failure, after what started is closed. */
  listen(callback: (error?: unknown) => void): void {
    this.subscribeAll().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  /** Nest's close: stops the lanes, unless the caller stops them (`stoppedByCaller`). */
  async close(): Promise<void> {
    if (!this.options.stoppedByCaller) await this.stop();
  }

  /** Stops fetching and waits for each lane's batch in flight to commit; the bus stays open. */
  async stop(): Promise<void> {
    this.laneStates.stop();
    const subscriptions = this.subscriptions;
    this.subscriptions = [];
    // Every lane gets to finish its batch in flight, whichever fails to close.
    const closed = await Promise.allSettled(subscriptions.map((subscription) => subscription.close()));
    const failed = closed.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }

  on(): never {
    throw new Error('the bus transport emits no events');
  }

  unwrap<T>(): T {
    return this.bus as T;
  }

  private async subscribeAll(): Promise<void> {
    this.assertEveryLaneHasOneHandler();
    try {
      // Dead letters are appended inside the lanes' transactions, which must not create a topic.
      await this.bus.ensureTopics([this.options.deadLetterTopic]);
      for (const [name, lane] of Object.entries(this.options.lanes)) {
        const subscription = await this.subscribeLane(name, lane, this.handlerOf(name));
        this.subscriptions.push(subscription);
        this.laneStates.subscribed(name, subscription);
      }
    } catch (error) {
      await this.stop().catch(() => undefined);
      throw error;
    }
  }

  private subscribeLane(
    name: string,
    lane: ConsumerLane<unknown>,
    handler: MessageHandler,
  ): Promise<Subscription> {
    const deadLetters = {
      topic: this.options.deadLetterTopic,
      groupId: lane.deadLetterGroup ?? lane.groupId,
      logger: new Logger(name),
    };
    return this.bus.subscribe({
      groupId: lane.groupId,
      topics: lane.topics,
      maxBatchSize: lane.maxBatchSize,
      concurrency: lane.concurrency,
      handler: inBatchSpans(this.tracedLane(name, lane), async (messages, batch, spans) => {
        const started = performance.now();
        const { decoded, invalid } = decode(messages, lane);
        const context = new LaneContext(name, batch, invalid, deadLetters, spans);
        await invoke(handler, decoded, context);
        await context.settle();
        countCommittedBatch(lane.groupId, messages, context.deadLettered, performance.now() - started);
        await lane.afterBatch?.(performance.now() - started);
      }),
    });
  }

  private tracedLane(name: string, lane: ConsumerLane<unknown>): TracedLane {
    return { lane: name, spanName: lane.spanName, groupId: lane.groupId, transport: this.bus.transport };
  }

  private handlerOf(lane: string): MessageHandler {
    const handler = this.getHandlerByPattern(lane);
    if (!handler) throw new Error(`no @EventPattern('${lane}') handler for the consumer lane ${lane}`);
    return handler;
  }

  /** A lane without a handler, or a handler without a lane, is a wiring mistake: refuse to start. */
  private assertEveryLaneHasOneHandler(): void {
    for (const lane of Object.keys(this.options.lanes)) this.handlerOf(lane);
    for (const [pattern, handler] of this.getHandlers()) {
      if (!handler.isEventHandler)
        throw new Error(`@MessagePattern('${pattern}'): the bus transport has no replies; use @EventPattern`);
      if (!(pattern in this.options.lanes))
        throw new Error(`@EventPattern('${pattern}') names no consumer lane of this app`);
    }
  }
}

/** One pass over the batch: what the handler gets, and what is dead-lettered instead. */
function decode(
  messages: ConsumedMessage[],
  lane: ConsumerLane<unknown>,
): { decoded: Array<Decoded<unknown>>; invalid: Rejected[] } {
  const decoded: Array<Decoded<unknown>> = [];
  const invalid: Rejected[] = [];
  for (const message of messages) {
    const parsed = lane.parse(message.value);
    if ('error' in parsed) invalid.push({ message, error: parsed.error });
    else decoded.push({ value: parsed.value, message });
  }
  return { decoded, invalid };
}

/** Calls the Nest handler and waits for it, whether it returned a value, a promise or a stream. */
async function invoke(
  handler: MessageHandler,
  payload: Array<Decoded<unknown>>,
  context: LaneContext,
): Promise<void> {
  try {
    const result: unknown = await handler(payload, context);
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
  } catch (error) {
    // Without BusConsumer's filter Nest hands over `{ status, message }` (it logged the error).
    throw error instanceof Error ? error : new Error(`handler failed: ${JSON.stringify(error)}`);
  }
}

/** Passes a handler's error to the transport unchanged, so the bus logs it and retries the batch. */
@Catch()
class FailTheBatch implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * Marks a class of lane handlers (`@EventPattern(<lane>)` methods): a Nest controller, which is
 * where Nest looks for patterns, whose failures reach the bus as they were thrown.
 */
export function BusConsumer(): ClassDecorator {
  return applyDecorators(Controller(), UseFilters(FailTheBatch));
}
