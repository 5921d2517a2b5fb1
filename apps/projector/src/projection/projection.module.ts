import { Module } from '@nestjs/common';
import { unifiedProviders } from '../unified/unified.providers.js';
import { ProjectionConsumer } from './projection.consumer.js';
import { ProjectionRepository } from './projection.repository.js';
import { ProjectionService } from './projection.service.js';

/** The projection and its consumer lanes (ProjectionConsumer, served by the bus transport). */
@Module({
  controllers: [ProjectionConsumer],
  providers: [ProjectionRepository, ProjectionService, ...unifiedProviders],
})
export class ProjectionModule {}
