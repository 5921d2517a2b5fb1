import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { FieldsController } from './fields.controller.js';
import { FieldsRepository } from './fields.repository.js';
import { FieldsService } from './fields.service.js';

@Module({
  imports: [TenancyModule],
  controllers: [FieldsController],
  providers: [FieldsRepository, FieldsService],
})
export class FieldsModule {}
