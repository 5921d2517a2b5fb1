import { HttpException, Logger } from '@nestjs/common';
import { BusUnavailableError } from '@hub/bus';
import { SOURCE_ID } from '@hub/contracts';
import type { onErrorAsyncHookHandler } from 'fastify';
import { bodyRefusalOf, isRawBodyRoute } from '@hub/runtime';
import type { SourceCache } from './source-cache.js';

const logger = new Logger('Ingest');

export interface Rejection {
  /** As the provider sent it in the URL; logged only when it has a source id's form. */
  sourceId: string;
  /** Unknown when the source is (an unknown id, the lookup failed). */
  provider?: string;
  /**
   * Only where the request's own lines do not carry it already (`logTenant`): the body parser
   * runs before the request's logger exists.
   */
  tenantId?: string;
  status: number;
  reason: string;
  /** What an operator needs to fix our side (the bus), never the provider's input. */
  error?: string;
}

/**
 * The one line of a rejected provider request: which source, which provider, the status answered
 * and a reason from a fixed list. Never a header, the signature, the secret or the body: the
 * exception's detail is left out too, since some (a JSON parse error) quote the body.
 */
export function logRejection(rejection: Rejection): void {
  logger.warn(
    {
      source_id: SOURCE_ID.test(rejection.sourceId) ? rejection.sourceId : null,
      provider: rejection.provider ?? null,
      ...(rejection.tenantId ? { tenant_id: rejection.tenantId } : {}),
      status: rejection.status,
      reason: rejection.reason,
      ...(rejection.error ? { error: rejection.error } : {}),
    },
    'webhook rejected',
  );
}

/**
 * Logs the rejection of `error` by the ingest service and returns it to be thrown. `cause` is the
 * error caught, when the bus's own failure was turned into a 503.
 */
export function rejected<E>(
  source: { sourceId: string; provider?: string },
  error: E,
  reason: string,
  cause?: unknown,
): E {
  logRejection({
    ...source,
    status: error instanceof HttpException ? error.getStatus() : 500,
    reason,
    ...(cause instanceof BusUnavailableError ? { error: cause.message } : {}),
  });
  return error;
}

/**
 * Fastify's errors on the ingest route come from reading its body (too large, an encoding we
 * cannot undo, a client gone mid-body): the service never saw the request, so the line is written
 * here, with the source's provider and tenant when the id names one; the problem-details answer
 * follows. The service's own rejections are answered by Nest and never reach this hook.
 */
export function logRefusedBody(sources: SourceCache): onErrorAsyncHookHandler {
  return async (request, _reply, error) => {
    if (!isRawBodyRoute(request)) return;
    const sourceId = (request.params as { sourceId?: string }).sourceId ?? '';
    const source = SOURCE_ID.test(sourceId) ? await sources.get(sourceId).catch(() => null) : null;
    const status = (error as { statusCode?: unknown }).statusCode;
    logRejection({
      sourceId,
      ...(source ? { provider: source.provider, tenantId: source.tenantId } : {}),
      status: error instanceof HttpException ? error.getStatus() : typeof status === 'number' ? status : 400,
      reason: bodyRefusalOf(error),
    });
  };
}
