import { runApp } from '@hub/runtime';
import { IngestConfig } from './config/ingest.config.js';
import { IngestModule } from './ingest.module.js';
import { SourceEntity, SourceStatsEntity } from './sources/source.entity.js';
import { Sources1732262400100 } from './sources/source.migration.js';

void runApp({
  name: 'ingest',
  configSchema: IngestConfig,
  port: (config) => config.INGEST_PORT,
  host: (config) => config.HOST,
  module: IngestModule,
  schema: { entities: [SourceEntity, SourceStatsEntity], migrations: [Sources1732262400100] },
});
