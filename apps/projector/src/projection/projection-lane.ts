import { runLane } from '@hub/runtime';
import { ProjectorConfig } from '../config/projector.config.js';
import { PROJECTOR_MIGRATIONS } from './migrations.js';
import { projectionLaneTable } from './projection.lane-table.js';
import { ProjectionModule } from './projection.module.js';

/** One of the projector's extra consumers, on its own thread (see ProjectionLanes). */
void runLane({
  name: 'projector',
  configSchema: ProjectorConfig,
  module: ProjectionModule,
  schema: { migrations: PROJECTOR_MIGRATIONS },
  lanes: projectionLaneTable,
});
