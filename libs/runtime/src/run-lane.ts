import 'reflect-metadata';
import { Logger, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig, type PlatformConfig } from '@hub/config';
import { connectPlatform, type AppSchema } from './platform.js';
import { PlatformModule } from './platform.module.js';
import { LOG_LEVELS } from './log-levels.js';
import { STOP_LANE } from './worker-lanes.js';

export interface LaneDefinition<C extends PlatformConfig> {
  name: string;
  configSchema: new () => C;
  /** The consumer's module: no controllers are served from a lane. */
  module: Type<unknown>;
  schema?: AppSchema;
}

/**
 * The body of a lane's thread (see WorkerLanes): the app's settings, its own database pool and
 * bus, and the consumer module without HTTP. Stops when the app's thread says so, once its
 * consumers have committed; a start-up failure ends the thread with exit code 1.
 */
export async function runLane<C extends PlatformConfig>(definition: LaneDefinition<C>): Promise<void> {
  const lane = (workerData as { lane?: number } | null)?.lane ?? 0;
  const name = `${definition.name} lane ${lane}`;
  try {
    const config = loadConfig(definition.configSchema);
    Logger.overrideLogger(LOG_LEVELS[config.LOG_LEVEL]);
    const platform = await connectPlatform(config, definition.name, definition.schema);

    @Module({ imports: [PlatformModule.forRoot(platform, definition.configSchema), definition.module] })
    class LaneModule {}

    const app = await NestFactory.createApplicationContext(LaneModule, {
      logger: LOG_LEVELS[config.LOG_LEVEL],
    });
    parentPort?.on('message', (message) => {
      if (message !== STOP_LANE) return;
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`${name}: shutdown failed: ${(error as Error)?.message ?? String(error)}\n`);
          process.exit(1);
        },
      );
    });
  } catch (error) {
    process.stderr.write(`${name}: cannot start: ${(error as Error)?.message ?? String(error)}\n`);
    process.exit(1);
  }
}
