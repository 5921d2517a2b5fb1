import { Logger, Module, type LogLevel, type Type } from '@nestjs/common';
import { loadConfig, type PlatformConfig } from '@hub/config';
import { connectPlatform, type AppSchema, type Platform } from './platform.js';
import { PlatformModule } from './platform.module.js';

/** What each LOG_LEVEL lets through. */
export const LOG_LEVELS: Record<PlatformConfig['LOG_LEVEL'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

export interface RootDefinition<C extends PlatformConfig> {
  name: string;
  configSchema: new () => C;
  module: Type<unknown>;
  /** The app's own entities and migrations, beside the shared ones. */
  schema?: AppSchema;
}

/**
 * What an app's thread and each of its lanes start from: the settings (validated once, a bad one
 * named), the log level, the database and bus, and a root module that provides them to `module`.
 */
export async function prepareRoot<C extends PlatformConfig>(
  definition: RootDefinition<C>,
): Promise<{ config: C; platform: Platform; root: Type<unknown> }> {
  const config = loadConfig(definition.configSchema);
  Logger.overrideLogger(LOG_LEVELS[config.LOG_LEVEL]);
  const platform = await connectPlatform(config, definition.name, definition.schema);

  @Module({ imports: [PlatformModule.forRoot(platform, definition.configSchema), definition.module] })
  class RootModule {}

  return { config, platform, root: RootModule };
}
