import { context, SpanKind, trace, type Context, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { extractTraceContext, httpRequestDuration, secondsSince, statusClass, tracer } from '@hub/telemetry';

interface ServedRequest {
  span: Span;
  parent: Context;
}
const SERVED = Symbol('served request');
type TracedRequest = FastifyRequest & { [SERVED]?: ServedRequest };

/**
 * Times every request into http_request_duration_seconds when its response is done (or the client
 * went away) and, with tracing on, opens its server span, continuing the caller's W3C traceparent
 * (a provider that traces its webhooks joins our trace to its own). Right before the handler, the
 * rest of the request runs inside that span, so that what it publishes carries the trace.
 */
export function measureRequests(instance: FastifyInstance, tracing: boolean): void {
  instance.addHook('onRequest', (request: TracedRequest, reply, done) => {
    const startedAt = process.hrtime.bigint();
    if (tracing) {
      const parent = extractTraceContext(request.headers);
      const span = tracer.startSpan(request.method, { kind: SpanKind.SERVER }, parent);
      request[SERVED] = { span, parent };
    }
    reply.raw.once('close', () => {
      const route = routeOf(request);
      httpRequestDuration.observe(
        { route, method: request.method, status_class: statusClass(reply.statusCode) },
        secondsSince(startedAt),
      );
      const served = request[SERVED];
      if (served) endServerSpan(served.span, request, reply, route);
    });
    done();
  });
  if (tracing) {
    instance.addHook('preHandler', (request: TracedRequest, _reply, done) => {
      const served = request[SERVED];
      if (!served) return done();
      context.with(trace.setSpan(served.parent, served.span), done);
    });
  }
}

/** The route pattern that served the request (never its path: ids would explode the series). */
function routeOf(request: FastifyRequest): string {
  const pattern = request.routeOptions.url;
  // Nest answers an unknown path from a not-found handler of its own.
  if (typeof pattern !== 'string' || pattern.includes('*')) return 'unmatched';
  return pattern;
}

function endServerSpan(span: Span, request: FastifyRequest, reply: FastifyReply, route: string): void {
  span.updateName(`${request.method} ${route}`);
  span.setAttributes({
    'http.request.method': request.method,
    'http.route': route,
    'http.response.status_code': reply.statusCode,
  });
  if (reply.statusCode >= 500) span.setStatus({ code: 2 });
  span.end();
}
