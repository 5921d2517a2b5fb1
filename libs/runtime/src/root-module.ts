import { Module, type Type } from '@nestjs/common';
import { LoggerModule, type Logger } from 'nestjs-pino';
import type { EventBus } from '@hub/bus';
import { loadConfig, type PlatformConfig } from '@hub/config';
import { topicNames } from '@hub/contracts';
import { BusTransport } from './bus-transport/bus.transport.js';
import type { LaneTable } from './bus-transport/consumer-lane.js';
import { connectPlatform, type AppSchema, type Platform } from './platform.js';
import { startTracing, useTenantLabels, type Tracing } from '@hub/telemetry';
import { PlatformModule } from './platform.module.js';
import { installAppLogger, loggingParams } from './observability/logging.js';

export interface RootDefinition<C extends PlatformConfig> {
  name: string;
  configSchema: new () => C;
  module: Type<unknown>;
  /** The app's own entities and migrations, beside the shared ones. */
  schema?: AppSchema;
  /**
   * The consumer lanes this thread runs, built from the settings: each is served by the
   * `@EventPattern` handler of the same name in `module` (see BusTransport). None (or undefined
   * from the settings, when other threads run them): no consumers on this thread.
   */
  lanes?: (config: C) => LaneTable | undefined;
}

/**
 * What an app's thread and each of its lanes start from: the settings (validated once, a bad one
 * named), its logger (installed before anything logs), tracing when it is configured, the
 * database and bus, a root module that provides them to `module`, and the transport of its
 * consumer lanes, if it has any.
 */
export async function prepareRoot<C extends PlatformConfig>(
  definition: RootDefinition<C>,
): Promise<{
  config: C;
  platform: Platform;
  root: Type<unknown>;
  transport: BusTransport | undefined;
  logger: Logger;
  tracing: Tracing | undefined;
}> {
  const config = loadConfig(definition.configSchema);
  useTenantLabels(config.METRICS_TENANT_LABELS);
  const logging = loggingParams(definition.name, config);
  const logger = installAppLogger(logging);
  const tracing = await startTracing(`solar-hub-${definition.name}`);
  const platform = await connectPlatform(config, definition.name, definition.schema);
  const transport = consumerTransport(definition, config, platform.bus);

  @Module({
    imports: [
      LoggerModule.forRoot(logging),
      PlatformModule.forRoot(platform, {
        configSchema: definition.configSchema,
        consumers: transport,
        tracing,
      }),
      definition.module,
    ],
  })
  class RootModule {}

  return { config, platform, root: RootModule, transport, logger, tracing };
}

/**
 * The transport that runs the definition's consumer lanes over `bus`, if it has any. The
 * platform stops it, right before it closes the bus (see PlatformModule).
 */
function consumerTransport<C extends PlatformConfig>(
  definition: RootDefinition<C>,
  config: C,
  bus: EventBus,
): BusTransport | undefined {
  const lanes = definition.lanes?.(config);
  if (!lanes) return undefined;
  return new BusTransport(bus, {
    lanes,
    deadLetterTopic: topicNames(config.TOPIC_PREFIX).deadLetters,
    stoppedByCaller: true,
  });
}
