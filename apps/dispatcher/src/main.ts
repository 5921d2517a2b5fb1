import { runApp } from '@hub/runtime';
import { DispatcherConfig } from './config/dispatcher.config.js';
import { DispatcherModule } from './dispatcher.module.js';
import { matchingLaneTable } from './matching/matching.lane-table.js';
import { DISPATCHER_MIGRATIONS } from './migrations.js';

void runApp({
  name: 'dispatcher',
  configSchema: DispatcherConfig,
  port: (config) => config.DISPATCHER_PORT,
  module: DispatcherModule,
  schema: { migrations: DISPATCHER_MIGRATIONS },
  lanes: matchingLaneTable,
});
