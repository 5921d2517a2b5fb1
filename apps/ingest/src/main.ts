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
  rawBodyRoutes: (config) => ({ prefix: '/v1/ingest/', limitBytes: config.INGEST_BODY_LIMIT_BYTES }),
  configureHttp: (instance, app) => instance.addHook('onError', logRefusedBody(app.get(SourceCache))),
});
