import { SpanKind, type Attributes, type Span } from '@opentelemetry/api';
import { extractTraceContext, inSpan, injectTraceContext, tracingStarted } from '@hub/telemetry';
import type { AttemptResult } from '../outbound/outbound.client.js';
import type { ClaimedDelivery } from './delivery.repository.js';

/** The W3C headers the dispatcher sets on a traced attempt, whatever a subscription's own say. */
const TRACE_HEADERS = new Set(['traceparent', 'tracestate']);

/**
 * Sends one attempt. With tracing on it is a span, `webhook attempt` (kind CLIENT), in the trace the
 * delivery was matched in (a new trace when it has none), and the request carries that span's
 * `traceparent` (and `tracestate`), so the subscriber's own tracing joins the trace. Off, the
 * request goes out as it is: no span, no header.
 */
export function sendTraced(
  delivery: ClaimedDelivery,
  headers: Record<string, string>,
  send: (headers: Record<string, string>) => Promise<AttemptResult>,
): Promise<AttemptResult> {
  if (!tracingStarted()) return send(headers);
  const options = {
    kind: SpanKind.CLIENT,
    parent: extractTraceContext(delivery.trace_context ?? {}),
    attributes: attemptAttributes(delivery),
  };
  return inSpan('webhook attempt', options, async (span) => {
    const result = await send(withTraceHeaders(headers));
    recordResult(span, result);
    return result;
  });
}

/** The headers with the active span's trace context, in place of any a subscription set itself. */
function withTraceHeaders(headers: Record<string, string>): Record<string, string> {
  const carried: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!TRACE_HEADERS.has(name.toLowerCase())) carried[name] = value;
  }
  injectTraceContext(carried);
  return carried;
}

function attemptAttributes(delivery: ClaimedDelivery): Attributes {
  return {
    'http.request.method': 'POST',
    // The host only: an endpoint's path or query may hold a token.
    ...hostOf(delivery.endpoint),
    'solar_hub.tenant_id': delivery.tenant_id,
    'solar_hub.subscription_id': delivery.subscription_id,
    'solar_hub.delivery_id': delivery.id,
    'solar_hub.event_type': delivery.event_type,
    'solar_hub.attempt': delivery.attempts + 1,
  };
}

function recordResult(span: Span, result: AttemptResult): void {
  if (result.statusCode !== null) span.setAttribute('http.response.status_code', result.statusCode);
  if (result.error !== null) {
    span.setAttribute('error.type', 'no_answer');
    span.setStatus({ code: 2, message: result.error });
  } else if (result.statusCode === null || result.statusCode < 200 || result.statusCode >= 300) {
    span.setAttribute('error.type', String(result.statusCode));
    span.setStatus({ code: 2 });
  }
}

function hostOf(endpoint: string): Attributes {
  try {
    const url = new URL(endpoint);
    return { 'server.address': url.hostname, ...(url.port ? { 'server.port': Number(url.port) } : {}) };
  } catch {
    return {};
  }
}
