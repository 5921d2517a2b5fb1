import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { ProjectionLanes } from './projection/projection-lanes.js';
import { ReadModelsModule } from './read-models/read-models.module.js';

/**
 * The app's thread serves the query API and runs no consumer: the consumers (ProjectionModule)
 * each run on a worker thread of their own (ProjectionLanes), so applying never delays a read.
 */
@Module({ imports: [TenancyModule, ReadModelsModule], providers: [ProjectionLanes] })
export class ProjectorModule {}
