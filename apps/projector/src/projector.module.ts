import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { ProjectionLanes } from './projection/projection-lanes.js';
import { ProjectionModule } from './projection/projection.module.js';
import { ReadModelsModule } from './read-models/read-models.module.js';

@Module({ imports: [TenancyModule, ProjectionModule, ReadModelsModule], providers: [ProjectionLanes] })
export class ProjectorModule {}
