import {
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
}

/** Every error leaves as RFC 9457 problem+json; unexpected ones are logged and told apart from the client's. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const problem = withShortDetail(withoutQueryEcho(this.toProblem(exception), request));
    const retryAfter = (exception as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
    if (typeof retryAfter === 'number') response.header('Retry-After', String(retryAfter));
    response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }

  private toProblem(exception: unknown): ProblemDetails {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return problem(status, detailOf(exception));
    }
    const status = statusOfClientError(exception);
    if (status) return problem(status, (exception as Error).message);
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    );
    return problem(HttpStatus.INTERNAL_SERVER_ERROR, 'an unexpected error occurred; it has been logged');
  }
}

/**
 * Nest's router answers an unknown route with "Cannot POST <url>", query string included, and a
 * query string can carry a secret (Solar Proof's ?token=): the detail names the path only.
 */
function withoutQueryEcho(problem: ProblemDetails, request: FastifyRequest): ProblemDetails {
  const echoed = `Cannot ${request.method} ${request.url}`;
  if (problem.status !== 404 || problem.detail !== echoed) return problem;
  return { ...problem, detail: `Cannot ${request.method} ${request.url.split('?')[0]}` };
}

/** One message of a detail, and the whole detail, at most this many characters before the cut note. */
export const DETAIL_PART_MAX_CHARS = 300;
export const DETAIL_MAX_CHARS = 1_000;

/**
 * A detail may quote the bad input (a 100 KB pattern, a long unknown property name): it names the
 * problem and shows an excerpt, never the whole value, so an error cannot echo a large body back
 * (or into a client's log). Validation messages arrive joined by "; ", each cut on its own, so one
 * long value does not hide the others.
 */
function withShortDetail(problem: ProblemDetails): ProblemDetails {
  if (problem.detail.length <= DETAIL_PART_MAX_CHARS) return problem;
  const parts = problem.detail.split('; ').map((part) => excerpt(part, DETAIL_PART_MAX_CHARS));
  return { ...problem, detail: excerpt(parts.join('; '), DETAIL_MAX_CHARS) };
}

function excerpt(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never split a surrogate pair: half an emoji is not valid text.
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end)}… (${text.length - end} more characters cut)`;
}

export function problem(status: number, detail: string): ProblemDetails {
  const title = STATUS_CODES[status] ?? 'Error';
  // about:blank: the problem is fully described by its HTTP status (RFC 9457 §4.2.1).
  return { type: 'about:blank', title, status, detail };
}

function detailOf(exception: HttpException): string {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/**
 * Fastify's own errors carry their 4xx status (a body over the limit, a malformed Content-Type);
 * Nest maps most of them to HttpExceptions before they get here, this catches the rest.
 */
function statusOfClientError(exception: unknown): number | undefined {
  const status = (exception as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}
