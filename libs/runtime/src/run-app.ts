import 'reflect-metadata';
import { Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyServerOptions } from 'fastify';
import { ConfigError, type PlatformConfig } from '@hub/config';
import { installBodyParsers, type RawBodyRoutes } from './body-parsers.js';
import { applyHttpTimeouts } from './http-timeouts.js';
import { applyHeapGrowth, collectOnceStarted } from './heap-growth.js';
import { startProcessMetrics } from '@hub/telemetry';
import { prepareRoot, type RootDefinition } from './root-module.js';
import { measureRequests } from './observability/http-telemetry.js';
import { watchConsumerLag } from './observability/consumer-lag.js';
import { problem, ProblemDetailsFilter } from './problem-details.filter.js';
import { requestIdOf } from './observability/logging.js';
import { RejectNulCharactersPipe } from './reject-nul.pipe.js';
import { ShutdownState } from './shutdown.state.js';
import { serveOpenApi } from './openapi.js';

export interface AppDefinition<C extends PlatformConfig> extends RootDefinition<C> {
  port: (config: C) => number;
  /** Routes that take the exact bytes sent, of any type, instead of JSON (ingest's). */
  rawBodyRoutes?: (config: C) => RawBodyRoutes;
  /** Fastify hooks of the app's own, added before its routes. */
  configureHttp?: (instance: FastifyInstance, app: NestFastifyApplication) => void;
}

/**
 * Starts one app: settings, database, bus, its consumer lanes, HTTP. Any start-up failure prints
 * one line naming what to fix and exits 1. SIGTERM/SIGINT stop taking requests, finish those in
 * flight, let the bus consumers commit, then close the bus and the database.
 */
export async function runApp<C extends PlatformConfig>(definition: AppDefinition<C>): Promise<void> {
  try {
    const { config, platform, root, transport, logger, tracing } = await prepareRoot(definition);
    applyHeapGrowth(config.HEAP_GROWTH_PERCENT);
    startProcessMetrics(definition.name);
    const lanes = definition.lanes?.(config);
    if (lanes) watchConsumerLag(platform.bus, lanes);
    const app = await NestFactory.create<NestFastifyApplication>(root, new FastifyAdapter(FASTIFY_OPTIONS), {
      logger,
      bodyParser: false,
    });
    app.useGlobalFilters(new ProblemDetailsFilter());
    app.useGlobalPipes(
      new RejectNulCharactersPipe(),
      new ValidationPipe({
        whitelist: true,
        forbidNonWhitelisted: true,
        transform: true,
        stopAtFirstError: false,
      }),
    );
    const instance = app.getHttpAdapter().getInstance();
    echoRequestIds(instance);
    measureRequests(instance, tracing !== undefined);
    installBodyParsers(instance, definition.rawBodyRoutes?.(config));
    definition.configureHttp?.(instance, app);
    serveOpenApi(app, definition.name);
    applyHttpTimeouts(app.getHttpServer(), config);
    // Node's own answer to a request it cannot parse (a bodiless 400, 408 or 431, then close):
    // Fastify's replaces it with a JSON body that is not problem+json.
    app.getHttpServer().removeAllListeners('clientError');
    // A hybrid app: the consumer lanes start after the bootstrap hooks and before HTTP listens;
    // they stop in the platform's shutdown hook, the last, right before the bus closes.
    if (transport) app.connectMicroservice({ strategy: transport });
    await app.init();
    await app.startAllMicroservices();
    await app.listen(definition.port(config), config.HOST);
    collectOnceStarted(config.HEAP_GROWTH_PERCENT);
    const appLogger = new Logger(definition.name);
    appLogger.log(
      `listening on http://127.0.0.1:${definition.port(config)} (bus: ${platform.bus.transport})`,
    );
    stopOnSignal(() => {
      // Ready answers 503 from now on, while the app still serves and its lanes finish their work.
      app.get(ShutdownState).begin();
      return app.close();
    }, appLogger);
  } catch (error) {
    const line =
      error instanceof ConfigError ? error.message : `${(error as Error)?.message ?? String(error)}`;
    process.stderr.write(`${definition.name}: cannot start: ${line}\n`);
    process.exit(1);
  }
}

/**
 * Fastify, not Express: on the ingest route the framework's share of each request is about half
 * (docs/performance.md). Paths match as Express matched them, whatever their case and with or
 * without a trailing slash.
 */
const FASTIFY_OPTIONS: FastifyServerOptions = {
  routerOptions: {
    caseSensitive: false,
    ignoreTrailingSlash: true,
    // An id of any length is a 404 from its route, as before, not a 414 from the router.
    maxParamLength: 16 * 1024,
  },
  genReqId: requestIdOf,
  // A URL that is not valid percent-encoding: a problem like any other 400, never echoing the URL
  // (a query string can hold a provider's token).
  frameworkErrors: (error, _request, reply) => {
    const status = error.statusCode ?? 400;
    void (reply as FastifyReply)
      .status(status)
      .type('application/problem+json')
      .send(JSON.stringify(problem(status, 'the URL is not valid percent-encoded UTF-8')));
  },
};

/** Every answer carries its request's id (the client's x-request-id or a new one), as the logs do. */
function echoRequestIds(instance: FastifyInstance): void {
  instance.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
}

/**
 * SIGTERM / SIGINT: `app.close()` runs the shutdown hooks (HTTP stops, consumers commit, bus and
 * database close), then the process exits 0. A second signal exits at once.
 */
function stopOnSignal(close: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    logger.log(`${signal}: finishing work in flight, then stopping`);
    close().then(
      () => {
        logger.log('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
