import type { Provider } from '@nestjs/common';
import { ProjectorConfig } from '../config/projector.config.js';
import { ProjectionRepository } from '../projection/projection.repository.js';
import { UnifiedRepository } from './unified.repository.js';
import { UnifiedService } from './unified.service.js';

/** UnifiedService and its repository, on or off as UNIFIED_RECORDS says: for any projector module. */
export const unifiedProviders: Provider[] = [
  UnifiedRepository,
  {
    provide: UnifiedService,
    inject: [UnifiedRepository, ProjectorConfig, ProjectionRepository],
    useFactory: (repository: UnifiedRepository, config: ProjectorConfig, projection: ProjectionRepository) =>
      new UnifiedService(repository, { enabled: config.UNIFIED_RECORDS === 'on' }, projection),
  },
];
