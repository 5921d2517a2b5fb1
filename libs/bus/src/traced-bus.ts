import { context, SpanKind, trace, type Context, type Span } from '@opentelemetry/api';
import { extractTraceContext, injectTraceContext, tracer } from '@hub/telemetry';
import type {
  BatchContext,
  EventBus,
  OutgoingMessage,
  SubscribeOptions,
  TopicMessages,
  TransportName,
} from './bus.port.js';

/** The W3C headers a message carries its trace context in. */
const TRACE_HEADERS = ['traceparent', 'tracestate'];

/**
 * The bus, with every message it publishes carrying its trace context in its headers
 * (`traceparent`, `tracestate`), on either transport: this is the one place that stamps them, for
 * `publish` and for a handler's `BatchContext.publish` alike. Each publish call is a producer span,
 * `bus publish <topic>`, a child of the active context, whose context the messages carry. A
 * message that already names a trace (a consumer publishing on behalf of the message it handles)
 * keeps to it: its producer span is a child of that context instead, one span per distinct trace
 * in the call. Only installed when tracing is on (see connectPlatform): off, nothing is added.
 *
 * Every other member of the port is the bus's own, forwarded as it is.
 */
export function tracedBus(bus: EventBus): EventBus {
  const publish = (topic: string, messages: OutgoingMessage[]) =>
    publishTraced(bus.transport, [{ topic, messages }], ([stamped]) => bus.publish(topic, stamped!.messages));
  const publishAll = (batches: TopicMessages[]) =>
    publishTraced(bus.transport, batches, (stamped) => bus.publishAll(stamped));
  const subscribe = (options: SubscribeOptions) =>
    bus.subscribe({
      ...options,
      handler: (messages, batch) => options.handler(messages, tracedBatch(bus.transport, batch)),
    });
  return new Proxy(bus, {
    get(target, property, receiver) {
      if (property === 'publish') return publish;
      if (property === 'publishAll') return publishAll;
      if (property === 'subscribe') return subscribe;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function tracedBatch(transport: TransportName, batch: BatchContext): BatchContext {
  return {
    transaction: (work) => batch.transaction(work),
    publish: (topic, messages) =>
      publishTraced(transport, [{ topic, messages }], ([stamped]) => batch.publish(topic, stamped!.messages)),
  };
}

/**
 * Opens the producer spans of one publish call (per topic), stamps each message with the context of
 * its span (in the order given: the order within a key is the bus's promise), publishes, and ends them.
 */
export async function publishTraced(
  transport: TransportName,
  batches: TopicMessages[],
  publish: (stamped: TopicMessages[]) => Promise<void>,
): Promise<void> {
  const spans = batches.map(({ topic }) => new ProducerSpans(transport, topic));
  const stamped = batches.map(({ topic, messages }, index) => ({
    topic,
    messages: messages.map((message) => stamp(message, spans[index]!.contextFor(message.headers))),
  }));
  try {
    await publish(stamped);
  } catch (error) {
    spans.forEach((span) => span.fail(error));
    throw error;
  } finally {
    spans.forEach((span) => span.end());
  }
}

/** The producer spans of one publish call: one per trace its messages continue. */
class ProducerSpans {
  private readonly byParent = new Map<string, { span: Span; context: Context; messages: number }>();

  constructor(
    private readonly transport: TransportName,
    private readonly topic: string,
  ) {}

  /** The context a message is published in: its own trace's producer span, or the call's. */
  contextFor(headers: Record<string, string> | undefined): Context {
    const traceparent = headers?.['traceparent'];
    const key = traceparent ?? '';
    let producer = this.byParent.get(key);
    if (!producer) {
      const parent = traceparent && headers ? extractTraceContext(headers) : context.active();
      const span = tracer.startSpan(
        `bus publish ${this.topic}`,
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            'messaging.system': this.transport,
            'messaging.operation.type': 'send',
            'messaging.destination.name': this.topic,
          },
        },
        parent,
      );
      producer = { span, context: trace.setSpan(parent, span), messages: 0 };
      this.byParent.set(key, producer);
    }
    producer.messages++;
    return producer.context;
  }

  fail(error: unknown): void {
    for (const { span } of this.byParent.values()) {
      span.recordException(error as Error);
      span.setStatus({ code: 2, message: (error as Error)?.message });
    }
  }

  end(): void {
    for (const { span, messages } of this.byParent.values()) {
      span.setAttribute('messaging.batch.message_count', messages);
      span.end();
    }
  }
}

/** The message with its trace headers replaced by those of `from`. */
function stamp(message: OutgoingMessage, from: Context): OutgoingMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!TRACE_HEADERS.includes(name)) headers[name] = value;
  }
  injectTraceContext(headers, from);
  return { ...message, headers };
}
