import { runApp } from '@hub/runtime';
import { ProjectorConfig } from './config/projector.config.js';
import { ProjectorModule } from './projector.module.js';

void runApp({
  name: 'projector',
  configSchema: ProjectorConfig,
  port: (config) => config.PROJECTOR_PORT,
  host: (config) => config.HOST,
  module: ProjectorModule,
});
