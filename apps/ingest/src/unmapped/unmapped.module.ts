import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { SourcesModule } from '../sources/sources.module.js';
import { UnmappedController } from './unmapped.controller.js';
import { UnmappedRepository } from './unmapped.repository.js';
import { UnmappedService } from './unmapped.service.js';

@Module({
  imports: [TenancyModule, SourcesModule],
  controllers: [UnmappedController],
  providers: [UnmappedRepository, UnmappedService],
  exports: [UnmappedRepository],
})
export class UnmappedModule {}
