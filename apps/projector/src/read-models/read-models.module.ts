import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { CustomerController, MonitorController, ProjectController } from './read-model.controller.js';
import { ReadModelRepository } from './read-model.repository.js';
import { ReadModelService } from './read-model.service.js';

@Module({
  imports: [TenancyModule],
  controllers: [ProjectController, CustomerController, MonitorController],
  providers: [ReadModelRepository, ReadModelService],
})
export class ReadModelsModule {}
