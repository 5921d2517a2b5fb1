import { Module } from '@nestjs/common';
import { SourcesModule } from '../sources/sources.module.js';
import { FairShare } from './fair-share.js';
import { UnmappedModule } from '../unmapped/unmapped.module.js';
import { IngestController } from './ingest.controller.js';
import { IngestService } from './ingest.service.js';
import { SourceCache } from './source-cache.js';

@Module({
  imports: [SourcesModule, UnmappedModule],
  controllers: [IngestController],
  providers: [IngestService, SourceCache, FairShare],
})
export class IngestFeatureModule {}
