import { runApp } from '@hub/runtime';
import { DispatcherConfig } from './config/dispatcher.config.js';
import { Deliveries1732262400301 } from './deliveries/delivery.migration.js';
import { DispatcherModule } from './dispatcher.module.js';
import { matchingLaneTable } from './matching/matching.lane-table.js';
import { Subscriptions1732262400300 } from './subscriptions/subscription.migration.js';

void runApp({
  name: 'dispatcher',
  configSchema: DispatcherConfig,
  port: (config) => config.DISPATCHER_PORT,
  module: DispatcherModule,
  schema: { migrations: [Subscriptions1732262400300, Deliveries1732262400301] },
  lanes: matchingLaneTable,
});
