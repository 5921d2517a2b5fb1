import type { Provider } from '@nestjs/common';
import { ProjectorConfig } from '../config/projector.config.js';
import { UnifiedRepository } from './unified.repository.js';
import { UnifiedService } from './unified.service.js';

/** UnifiedService and its repository, on or off as UNIFIED_RECORDS says: for any projector module. */
export const unifiedProviders: Provider[] = [
  UnifiedRepository,
  {
    provide: UnifiedService,
    inject: [UnifiedRepository, ProjectorConfig],
    useFactory: (repository: UnifiedRepository, config: ProjectorConfig) =>
      new UnifiedService(repository, { enabled: config.UNIFIED_RECORDS === 'on' }),
  },
];
