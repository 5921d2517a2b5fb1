import { HttpException, Logger } from '@nestjs/common';
import { BusUnavailableError } from '@hub/bus';
import { SOURCE_ID } from '@hub/contracts';
import type { ErrorRequestHandler } from 'express';
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

/** body-parser's error types as rejection reasons. */
const BODY_REASONS: Record<string, string> = {
  'entity.too.large': 'body_too_large',
  'encoding.unsupported': 'unsupported_encoding',
  'charset.unsupported': 'unsupported_charset',
  'request.aborted': 'request_aborted',
  'request.size.invalid': 'body_size_mismatch',
};

/**
 * After the raw body parser of the ingest route: a body it refuses (too large, an encoding it
 * cannot read) never reaches the service, so its line is written here, with the source's provider
 * and tenant when the id names one; the error then goes on to the problem-details answer.
 */
export function logRefusedBody(sources: SourceCache): ErrorRequestHandler {
  return (error: { status?: unknown; type?: unknown }, request, _response, next) => {
    const sourceId = request.path.replace(/^\//, '');
    const lookUp = SOURCE_ID.test(sourceId) ? sources.get(sourceId) : Promise.resolve(null);
    void lookUp
      .catch(() => null)
      .then((source) =>
        logRejection({
          sourceId,
          ...(source ? { provider: source.provider, tenantId: source.tenantId } : {}),
          status: typeof error.status === 'number' ? error.status : 400,
          reason: BODY_REASONS[String(error.type)] ?? 'unreadable_body',
        }),
      )
      .finally(() => next(error));
  };
}
