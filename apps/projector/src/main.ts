import { runApp } from '@hub/runtime';
import { ProjectorConfig } from './config/projector.config.js';
import { HistoryPatches1732262400210 } from './projection/history-patches.migration.js';
import { Projection1732262400200 } from './projection/projection.migration.js';
import { ProjectorModule } from './projector.module.js';

void runApp({
  name: 'projector',
  configSchema: ProjectorConfig,
  port: (config) => config.PROJECTOR_PORT,
  module: ProjectorModule,
  schema: { migrations: [Projection1732262400200, HistoryPatches1732262400210] },
});
