import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { IngestFeatureModule } from './ingest/ingest.module.js';
import { IngestRetention } from './retention/ingest-retention.js';
import { SourcesModule } from './sources/sources.module.js';

@Module({ imports: [TenancyModule, SourcesModule, IngestFeatureModule], providers: [IngestRetention] })
export class IngestModule {}
