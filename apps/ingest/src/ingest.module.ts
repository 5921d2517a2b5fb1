import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { IngestFeatureModule } from './ingest/ingest.module.js';
import { SourcesModule } from './sources/sources.module.js';

@Module({ imports: [TenancyModule, SourcesModule, IngestFeatureModule] })
export class IngestModule {}
