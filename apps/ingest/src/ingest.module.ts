import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { SourcesModule } from './sources/sources.module.js';

@Module({ imports: [TenancyModule, SourcesModule] })
export class IngestModule {}
