import { runApp } from '@hub/runtime';
import { IngestConfig } from './config/ingest.config.js';
import { IngestModule } from './ingest.module.js';

void runApp({
  name: 'ingest',
  configSchema: IngestConfig,
  port: (config) => config.INGEST_PORT,
  host: (config) => config.HOST,
  module: IngestModule,
});
