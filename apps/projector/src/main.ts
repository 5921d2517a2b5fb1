import { runApp } from '@hub/runtime';
import { ProjectorConfig } from './config/projector.config.js';
import { PROJECTOR_MIGRATIONS } from './projection/migrations.js';
import { consumesOnAppThread, projectionLaneTable } from './projection/projection.lane-table.js';
import { ProjectorModule } from './projector.module.js';

void runApp({
  name: 'projector',
  configSchema: ProjectorConfig,
  port: (config) => config.PROJECTOR_PORT,
  module: ProjectorModule,
  schema: { migrations: PROJECTOR_MIGRATIONS },
  // PROJECTOR_CONSUMERS=0: the app's thread consumes too; else its worker threads do (ProjectionLanes).
  lanes: (config) => (consumesOnAppThread(config) ? projectionLaneTable(config) : undefined),
});
