import { Module } from '@nestjs/common';
import { ProjectionConsumer } from './projection.consumer.js';
import { ProjectionRepository } from './projection.repository.js';
import { ProjectionService } from './projection.service.js';

/** The projection and its consumer lanes (ProjectionConsumer, served by the bus transport). */
@Module({ controllers: [ProjectionConsumer], providers: [ProjectionRepository, ProjectionService] })
export class ProjectionModule {}
