import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { ProjectionModule } from './projection/projection.module.js';
import { ReadModelsModule } from './read-models/read-models.module.js';

@Module({ imports: [TenancyModule, ProjectionModule, ReadModelsModule] })
export class ProjectorModule {}
