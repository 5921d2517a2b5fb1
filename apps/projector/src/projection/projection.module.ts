import { Module } from '@nestjs/common';
import { ProjectionConsumer } from './projection.consumer.js';
import { ProjectionRepository } from './projection.repository.js';
import { ProjectionService } from './projection.service.js';

@Module({ providers: [ProjectionRepository, ProjectionService, ProjectionConsumer] })
export class ProjectionModule {}
