import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Attributes,
  type Link,
  type Span,
} from '@opentelemetry/api';
import type { BatchContext, BatchHandler, ConsumedMessage, TransportName } from '@hub/bus';
import { extractTraceContext, injectTraceContext, tracer, tracingStarted } from '@hub/telemetry';

/** The SDK's default OTEL_SPAN_LINK_COUNT_LIMIT: links beyond it would be dropped anyway. */
const MAX_LINKS = 128;

/** What names a lane's spans. */
export interface TracedLane {
  /** The lane (its handler's pattern): the batch span is `<lane> batch`. */
  lane: string;
  /** Each message's span; `<lane> process` when the lane names none. */
  spanName?: string | undefined;
  groupId: string;
  transport: TransportName;
}

/**
 * A lane's batch handler that, with tracing on, runs each batch in its spans (BatchSpans); with
 * tracing off it is `handle` itself, given no spans.
 */
export function inBatchSpans(
  traced: TracedLane,
  handle: (messages: ConsumedMessage[], batch: BatchContext, spans: BatchSpans | undefined) => Promise<void>,
): BatchHandler {
  if (!tracingStarted()) return (messages, batch) => handle(messages, batch, undefined);
  return (messages, batch) => BatchSpans.around(traced, messages, (spans) => handle(messages, batch, spans));
}

/**
 * One batch's spans, with tracing on. The batch span, `<lane> batch`, is a root linked to the
 * trace of each message (up to 128); the handler runs in it. Each message has a span of its own
 * in the trace its headers carry (a child of the producer span that published it), named after the
 * lane's work (`projector apply`, `dispatcher matching`) and linked to the batch span; it lasts as
 * long as the batch, since the batch's messages are applied and committed together. What a handler
 * publishes or stores on behalf of one message takes that message's span context (`headersOf`),
 * so the trace goes on from there.
 */
export class BatchSpans {
  private readonly batch: Span;
  private readonly messages = new Map<ConsumedMessage, Span>();

  private constructor(traced: TracedLane, consumed: ConsumedMessage[]) {
    const first = consumed[0];
    this.batch = tracer.startSpan(
      `${traced.lane} batch`,
      {
        kind: SpanKind.CONSUMER,
        root: true,
        links: linksOf(consumed),
        attributes: {
          ...laneAttributes(traced),
          'messaging.batch.message_count': consumed.length,
          ...(first ? destinationAttributes(first) : {}),
        },
      },
      ROOT_CONTEXT,
    );
    const toBatch: Link = { context: this.batch.spanContext() };
    for (const message of consumed) {
      const span = tracer.startSpan(
        traced.spanName ?? `${traced.lane} process`,
        {
          kind: SpanKind.CONSUMER,
          links: [toBatch],
          attributes: { ...laneAttributes(traced), ...messageAttributes(message) },
        },
        extractTraceContext(message.headers),
      );
      this.messages.set(message, span);
    }
  }

  /** Runs `work` (one batch's handling) in the batch's spans. */
  static async around(
    traced: TracedLane,
    consumed: ConsumedMessage[],
    work: (spans: BatchSpans) => Promise<void>,
  ): Promise<void> {
    const spans = new BatchSpans(traced, consumed);
    try {
      await context.with(trace.setSpan(ROOT_CONTEXT, spans.batch), () => work(spans));
    } catch (error) {
      spans.fail(error);
      throw error;
    } finally {
      spans.end();
    }
  }

  /** The W3C headers of the span handling `message`: what carries its trace onwards. */
  headersOf(message: ConsumedMessage): Record<string, string> | undefined {
    const span = this.messages.get(message);
    if (!span) return undefined;
    const headers: Record<string, string> = {};
    injectTraceContext(headers, trace.setSpan(ROOT_CONTEXT, span));
    return headers;
  }

  /** The message goes to the dead-letter topic instead of being applied: its span says why. */
  deadLettered(message: ConsumedMessage, reason: string): void {
    const span = this.messages.get(message);
    span?.setAttribute('solar_hub.dead_lettered', true);
    span?.setStatus({ code: 2, message: reason });
  }

  private fail(error: unknown): void {
    const message = (error as Error)?.message ?? String(error);
    this.batch.recordException(error as Error);
    for (const span of [this.batch, ...this.messages.values()]) span.setStatus({ code: 2, message });
  }

  private end(): void {
    for (const span of this.messages.values()) span.end();
    this.batch.end();
  }
}

function linksOf(consumed: ConsumedMessage[]): Link[] {
  const links: Link[] = [];
  for (const message of consumed) {
    if (links.length >= MAX_LINKS) break;
    const spanContext = trace.getSpanContext(extractTraceContext(message.headers));
    if (spanContext) links.push({ context: spanContext });
  }
  return links;
}

function laneAttributes(traced: TracedLane): Attributes {
  return {
    'messaging.system': traced.transport,
    'messaging.operation.type': 'process',
    'messaging.consumer.group.name': traced.groupId,
    'solar_hub.lane': traced.lane,
  };
}

function destinationAttributes(message: ConsumedMessage): Attributes {
  return {
    'messaging.destination.name': message.topic,
    'messaging.destination.partition.id': String(message.partition),
  };
}

function messageAttributes(message: ConsumedMessage): Attributes {
  const ceId = message.headers['ce-id'];
  return {
    ...destinationAttributes(message),
    'solar_hub.offset': message.offset,
    // Keys are `<tenant id>/<entity id>`.
    'solar_hub.tenant_id': message.key.slice(0, Math.max(0, message.key.indexOf('/'))),
    ...(ceId ? { 'messaging.message.id': ceId } : {}),
  };
}
