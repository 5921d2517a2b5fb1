import {
  context,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Context,
  type Link,
  type Span,
  type SpanOptions,
} from '@opentelemetry/api';

/** The tracer every span of ours comes from; a no-op one until startTracing has started the SDK. */
export const tracer = trace.getTracer('solar-hub');

export interface Tracing {
  /** Exports the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK when an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), configured by the standard OTEL_* variables (protocol,
 * headers, sampler, resource attributes). Otherwise nothing is loaded, no span is recorded and no
 * trace context is propagated: tracing costs nothing when it is off.
 */
export async function startTracing(serviceName: string, env = process.env): Promise<Tracing | undefined> {
  if (!tracingWanted(env)) return undefined;
  // Our metrics are Prometheus (/metrics) and our logs are pino lines: the SDK exports traces only.
  env['OTEL_METRICS_EXPORTER'] ??= 'none';
  env['OTEL_LOGS_EXPORTER'] ??= 'none';
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({ serviceName: env['OTEL_SERVICE_NAME'] ?? serviceName, instrumentations: [] });
  sdk.start();
  started = true;
  return { shutdown: () => sdk.shutdown() };
}

let started = false;

/**
 * Whether this thread started the SDK: the bus, the lanes and the dispatcher only trace (and
 * carry trace context) then, so with tracing off not even a header is copied.
 */
export function tracingStarted(): boolean {
  return started;
}

export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['OTEL_SDK_DISABLED']?.toLowerCase() === 'true') return false;
  if (env['OTEL_TRACES_EXPORTER']?.toLowerCase() === 'none') return false;
  return Boolean(env['OTEL_EXPORTER_OTLP_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
}

const headerGetter = {
  keys: (carrier: Record<string, string | string[] | undefined>) => Object.keys(carrier),
  get: (carrier: Record<string, string | string[] | undefined>, key: string) => carrier[key],
};

/** The trace context a request's or a message's headers carry (W3C traceparent / tracestate). */
export function extractTraceContext(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(ROOT_CONTEXT, headers, headerGetter);
}

/** Writes the trace context of `from` (default: the active one) into `headers`. */
export function injectTraceContext(headers: Record<string, string>, from: Context = context.active()): void {
  propagation.inject(from, headers);
}

/** `headers` plus the trace context of `from`, when there is one to carry. */
export function withTraceContext(
  headers: Record<string, string> | undefined,
  from: Context = context.active(),
): Record<string, string> | undefined {
  if (!trace.getSpanContext(from)) return headers;
  const carried = { ...headers };
  injectTraceContext(carried, from);
  return carried;
}

/** A link to the span a message's headers name, for a span that serves many messages. */
export function linkTo(headers: Record<string, string>): Link | undefined {
  const spanContext = trace.getSpanContext(extractTraceContext(headers));
  return spanContext ? { context: spanContext } : undefined;
}

/**
 * Runs `work` inside a new span (a child of `parent`, default the active context), ends the span
 * when it settles and records a failure on it.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions & { parent?: Context },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer.startSpan(name, options, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: 2, message: (error as Error)?.message });
    throw error;
  } finally {
    span.end();
  }
}
