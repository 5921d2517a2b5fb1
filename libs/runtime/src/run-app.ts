import 'reflect-metadata';
import { Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { json } from 'express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ConfigError, type PlatformConfig } from '@hub/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { applyHttpTimeouts } from './http-timeouts.js';
import { startProcessMetrics } from '@hub/telemetry';
import { prepareRoot, type RootDefinition } from './root-module.js';
import { continueTrace, measureRequests } from './observability/http-telemetry.js';
import { verifyJsonBody } from './json-guard.js';
import { watchConsumerLag } from './observability/consumer-lag.js';
import { ProblemDetailsFilter } from './problem-details.filter.js';
import { RejectNulCharactersPipe } from './reject-nul.pipe.js';
import { ShutdownState } from './shutdown.state.js';

export interface AppDefinition<C extends PlatformConfig> extends RootDefinition<C> {
  port: (config: C) => number;
  /** Express middleware the app needs before the JSON body parser (ingest reads raw bytes). */
  beforeBodyParser?: (app: NestExpressApplication, config: C) => void;
}

/**
 * Starts one app: settings, database, bus, its consumer lanes, HTTP. Any start-up failure prints
 * one line naming what to fix and exits 1. SIGTERM/SIGINT stop taking requests, finish those in
 * flight, let the bus consumers commit, then close the bus and the database.
 */
export async function runApp<C extends PlatformConfig>(definition: AppDefinition<C>): Promise<void> {
  try {
    const { config, platform, root, transport, logger, tracing } = await prepareRoot(definition);
    startProcessMetrics(definition.name);
    const lanes = definition.lanes?.(config);
    if (lanes) watchConsumerLag(platform.bus, lanes);
    const app = await NestFactory.create<NestExpressApplication>(root, { logger, bodyParser: false });
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
    app.disable('x-powered-by');
    app.use(measureRequests(tracing !== undefined));
    definition.beforeBodyParser?.(app, config);
    // Management APIs take JSON; a body already read by an earlier parser is left alone. Mounted
    // directly: Nest's useBodyParser reserves `verify`, which checks UTF-8 and nesting depth here.
    app.use(json({ limit: '1mb', verify: verifyJsonBody }));
    app.use(continueTrace);
    serveOpenApi(app, definition.name);
    applyHttpTimeouts(app.getHttpServer(), config);
    // A hybrid app: the consumer lanes start after the bootstrap hooks and before HTTP listens;
    // they stop in the platform's shutdown hook, the last, right before the bus closes.
    if (transport) app.connectMicroservice({ strategy: transport });
    await app.init();
    await app.startAllMicroservices();
    await app.listen(definition.port(config), config.HOST);
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

/** Each app describes its own HTTP API: the document at /openapi.json, a browsable view at /docs. */
function serveOpenApi(app: NestExpressApplication, name: string): void {
  const config = new DocumentBuilder()
    .setTitle(`Solar hub ${name}`)
    .setDescription(
      'Management APIs take Authorization: Bearer <api key>; errors are application/problem+json.',
    )
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description: 'API key from `npm run cli -- tenant:create`',
    })
    .addSecurityRequirements('bearer')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
  });
}
