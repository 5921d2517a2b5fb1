import { raw } from 'express';
import { runApp } from '@hub/runtime';
import { IngestConfig } from './config/ingest.config.js';
import { IngestModule } from './ingest.module.js';
import { logRefusedBody } from './ingest/ingest.rejections.js';
import { SourceCache } from './ingest/source-cache.js';
import { INGEST_SCHEMA } from './ingest.schema.js';

void runApp({
  name: 'ingest',
  configSchema: IngestConfig,
  port: (config) => config.INGEST_PORT,
  module: IngestModule,
  schema: INGEST_SCHEMA,
  // Providers are verified on the exact bytes they sent, so the ingest route reads the raw body.
  beforeBodyParser: (app, config) =>
    app.use(
      '/v1/ingest',
      raw({ type: () => true, limit: config.INGEST_BODY_LIMIT_BYTES }),
      logRefusedBody(app.get(SourceCache)),
    ),
});
