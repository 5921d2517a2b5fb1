import { context, SpanKind, trace, type Context, type Span } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import { extractTraceContext, httpRequestDuration, secondsSince, statusClass, tracer } from '@hub/telemetry';

interface ServedRequest {
  span: Span;
  parent: Context;
}
const SERVED = Symbol('served request');
type TracedResponse = Response & { [SERVED]?: ServedRequest };

/**
 * First of every request's middleware: times it into http_request_duration_seconds when the
 * response is done and, with tracing on, opens its server span, continuing the caller's W3C
 * traceparent (a provider that traces its webhooks joins our trace to its own).
 */
export function measureRequests(tracing: boolean) {
  return (request: Request, response: TracedResponse, next: NextFunction): void => {
    const startedAt = process.hrtime.bigint();
    if (tracing) {
      const parent = extractTraceContext(request.headers);
      const span = tracer.startSpan(request.method, { kind: SpanKind.SERVER }, parent);
      response[SERVED] = { span, parent };
    }
    response.once('close', () => {
      const route = routeOf(request);
      httpRequestDuration.observe(
        { route, method: request.method, status_class: statusClass(response.statusCode) },
        secondsSince(startedAt),
      );
      const served = response[SERVED];
      if (served) endServerSpan(served.span, request, response, route);
    });
    next();
  };
}

/**
 * After the body parsers: runs the rest of the request inside its server span, so that what it
 * publishes carries the trace. (A body parser resumes on the socket's async context, which would
 * drop a context bound any earlier.)
 */
export function continueTrace(_request: Request, response: TracedResponse, next: NextFunction): void {
  const served = response[SERVED];
  if (!served) return next();
  context.with(trace.setSpan(served.parent, served.span), next);
}

/** The route pattern that served the request (never its path: ids would explode the series). */
function routeOf(request: Request): string {
  const pattern = (request.route as { path?: unknown } | undefined)?.path;
  // Nest answers an unknown path from a catch-all route of its own.
  if (typeof pattern !== 'string' || pattern.includes('*')) return 'unmatched';
  return `${request.baseUrl}${pattern}`;
}

function endServerSpan(span: Span, request: Request, response: Response, route: string): void {
  span.updateName(`${request.method} ${route}`);
  span.setAttributes({
    'http.request.method': request.method,
    'http.route': route,
    'http.response.status_code': response.statusCode,
  });
  if (response.statusCode >= 500) span.setStatus({ code: 2 });
  span.end();
}
