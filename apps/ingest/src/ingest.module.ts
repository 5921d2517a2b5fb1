import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';

@Module({ imports: [TenancyModule] })
export class IngestModule {}
