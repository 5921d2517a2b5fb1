import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Logger as NestLogger } from '@nestjs/common';
import { PinoLogger, type Logger, type Params } from 'nestjs-pino';
import type { PlatformConfig } from '@hub/config';
import { createRootLogger, useRequestFields } from '@hub/telemetry';
import { QuietStartupLogger } from './quiet-startup.logger.js';

/** A request id a client may choose (x-request-id); anything else is replaced by a fresh one. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * nestjs-pino's settings: one pino root logger per thread (see createRootLogger), and inside an
 * HTTP request a child of it that adds `request_id` to every line. Requests themselves are not
 * logged one by one (the HTTP metrics count them): only what an operator must act on is.
 */
export function loggingParams(app: string, config: PlatformConfig): Params {
  return {
    pinoHttp: {
      logger: createRootLogger({ app, level: config.LOG_LEVEL, format: config.LOG_FORMAT }),
      autoLogging: false,
      quietReqLogger: true,
      // pino-http makes two child loggers per request: the request id's, which lines use, and one
      // carrying the whole request, serialized and redacted, for its access log, which is off.
      // Together they were 5.6 % of ingest's busy time in a profile at 500 req/s.
      wrapSerializers: false,
      serializers: { req: omitRequest },
      customAttributeKeys: { reqId: 'request_id' },
      // Fastify assigns the id first (see requestIdOf) and its middleware layer passes it on.
      genReqId: requestIdOf,
    },
  };
}

/**
 * The Nest logger of a thread: every `new Logger(context)` of Nest and of our code writes through
 * it as pino lines, `context` a field (Nest's start-up chatter at debug). Installed before
 * anything else logs.
 */
export function installAppLogger(params: Params): Logger {
  const requestScoped = new PinoLogger(params);
  useRequestFields(requestScoped);
  const logger = new QuietStartupLogger(requestScoped, params);
  NestLogger.overrideLogger(logger);
  return logger;
}

/** The access log's request field: never written, since requests are not logged one by one. */
function omitRequest(): undefined {
  return undefined;
}

/** A request's id: the client's x-request-id when it is a sane token, else a new UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
}
