import { runApp } from '@hub/runtime';
import { DispatcherConfig } from './config/dispatcher.config.js';
import { DispatcherModule } from './dispatcher.module.js';

void runApp({
  name: 'dispatcher',
  configSchema: DispatcherConfig,
  port: (config) => config.DISPATCHER_PORT,
  module: DispatcherModule,
});
