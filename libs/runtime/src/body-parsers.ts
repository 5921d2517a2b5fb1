import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { BadRequestException, HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decodeJsonText } from './json-guard.js';

/** Management APIs take JSON bodies up to this size. */
export const JSON_BODY_LIMIT_BYTES = 1024 * 1024;

/** Routes whose handlers receive the exact bytes sent, whatever their type (ingest's). */
export interface RawBodyRoutes {
  /** Every route whose pattern starts with this. */
  prefix: string;
  limitBytes: number;
}

/** Why a body was refused before any handler saw it: one of a fixed list, safe to log. */
export type BodyRefusal =
  | 'body_too_large'
  | 'unsupported_encoding'
  | 'unsupported_charset'
  | 'unsupported_media_type'
  | 'request_aborted'
  | 'body_size_mismatch'
  | 'unreadable_body';

/** A body refused by the parsers, with its reason for the logs. */
export class BodyRefusedError extends HttpException {
  constructor(
    readonly reason: BodyRefusal,
    detail: string,
    status: HttpStatus,
  ) {
    super(detail, status);
  }
}

interface RouteBodyConfig {
  rawBody?: boolean;
}

/**
 * One parser for every content type. A raw-body route gets the bytes as sent (after undoing a
 * Content-Encoding), its own size limit and any content type: providers are verified on exactly
 * what they signed and the service decides what it accepts. Every other route takes JSON only:
 * valid UTF-8, not nested deeper than MAX_JSON_DEPTH, no lone surrogate; another type with a body
 * is a 415. Call before the app's routes are registered (`app.init()`).
 */
export function installBodyParsers(instance: FastifyInstance, raw?: RawBodyRoutes): void {
  instance.removeAllContentTypeParsers();
  drainRefusedBodies(instance);
  if (raw) {
    instance.addHook('onRoute', (route) => {
      if (!route.url.startsWith(raw.prefix)) return;
      route.bodyLimit = raw.limitBytes;
      route.config = { ...(route.config as object), rawBody: true } as typeof route.config;
    });
  }
  instance.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: JSON_BODY_LIMIT_BYTES },
    (request, body, done) => {
      try {
        if (raw && isRawBodyRoute(request)) done(null, decoded(request, body as Buffer, raw.limitBytes));
        else done(null, parseJson(request, decoded(request, body as Buffer, JSON_BODY_LIMIT_BYTES)));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
}

/**
 * A body refused before it was read whole (over the limit by its Content-Length, say) is read off
 * and dropped before the answer goes, as body-parser did: a client still sending would otherwise
 * meet a closed socket (EPIPE) and never see its 413. The request timeout bounds the time this
 * takes.
 */
function drainRefusedBodies(instance: FastifyInstance): void {
  instance.addHook('onError', async (request) => {
    const incoming = request.raw;
    if (incoming.complete || incoming.destroyed) return;
    await new Promise<void>((resolve) => {
      incoming.once('end', resolve).once('close', resolve).once('error', resolve);
      incoming.resume();
    });
  });
}

export function isRawBodyRoute(request: FastifyRequest): boolean {
  return (request.routeOptions.config as RouteBodyConfig | undefined)?.rawBody === true;
}

/** Fastify's own refusals of a body (read before any parser of ours runs), as reasons. */
const FASTIFY_BODY_REFUSALS: Record<string, BodyRefusal> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'body_size_mismatch',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  // The client went away while sending its body.
  ECONNRESET: 'request_aborted',
};

/** Why a body was refused before its handler saw it. */
export function bodyRefusalOf(error: unknown): BodyRefusal {
  if (error instanceof BodyRefusedError) return error.reason;
  const code = (error as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && FASTIFY_BODY_REFUSALS[code]) || 'unreadable_body';
}

/** The body with its Content-Encoding undone, never inflated past `limit` bytes. */
function decoded(request: FastifyRequest, body: Buffer, limit: number): Buffer {
  const encoding = String(request.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  const inflate = INFLATERS[encoding];
  if (!inflate) {
    throw new BodyRefusedError(
      'unsupported_encoding',
      `unsupported content encoding "${encoding.slice(0, 40)}"`,
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    );
  }
  try {
    return inflate(body, limit);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new BodyRefusedError('body_too_large', `the body is over ${limit} bytes`, 413);
    }
    throw new BodyRefusedError('unreadable_body', `the body is not valid ${encoding}`, 400);
  }
}

const INFLATERS: Record<string, (body: Buffer, limit: number) => Buffer> = {
  identity: (body) => body,
  gzip: (body, limit) => gunzipSync(body, { maxOutputLength: limit }),
  'x-gzip': (body, limit) => gunzipSync(body, { maxOutputLength: limit }),
  deflate: (body, limit) => inflateSync(body, { maxOutputLength: limit }),
  br: (body, limit) => brotliDecompressSync(body, { maxOutputLength: limit }),
};

/** A management API's JSON body: the parsed value, `{}` when empty. */
function parseJson(request: FastifyRequest, body: Buffer): unknown {
  if (body.length === 0) return {};
  const contentType = String(request.headers['content-type'] ?? '');
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new BodyRefusedError(
      'unsupported_media_type',
      'send the body as application/json',
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    );
  }
  const charset = /;\s*charset="?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    throw new BodyRefusedError(
      'unsupported_charset',
      `unsupported charset "${charset.slice(0, 40).toUpperCase()}"`,
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    );
  }
  const text = decodeJsonText(body);
  if ('problem' in text) throw new BadRequestException(text.problem);
  // As body-parser's strict mode: a management body is an object or an array, never a bare value.
  if (!/^[\s]*[[{]/.test(text.text)) throw new BadRequestException('the body must be a JSON object or array');
  try {
    return JSON.parse(text.text) as unknown;
  } catch (error) {
    throw new BadRequestException((error as Error).message);
  }
}
