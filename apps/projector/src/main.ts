import { runApp } from '@hub/runtime';
import { ProjectorConfig } from './config/projector.config.js';
import { PROJECTOR_MIGRATIONS } from './projection/migrations.js';
import { ProjectorModule } from './projector.module.js';

void runApp({
  name: 'projector',
  configSchema: ProjectorConfig,
  port: (config) => config.PROJECTOR_PORT,
  module: ProjectorModule,
  schema: { migrations: PROJECTOR_MIGRATIONS },
});
