import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { SourceStatsBuffer } from './source-stats.buffer.js';
import { SourceController } from './source.controller.js';
import { SourceRepository } from './source.repository.js';
import { SourceService } from './source.service.js';

@Module({
  imports: [TenancyModule],
  controllers: [SourceController],
  providers: [SourceRepository, SourceService, SourceStatsBuffer],
  exports: [SourceService, SourceRepository, SourceStatsBuffer],
})
export class SourcesModule {}
