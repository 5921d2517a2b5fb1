import { Module } from '@nestjs/common';
import { DATA_SOURCE } from '@hub/persistence';
import type { DataSource } from 'typeorm';
import { ApiKeyGuard } from './api-key.guard.js';
import { TenantController } from './tenant.controller.js';
import { TenantRepository } from './tenant.repository.js';
import { TenancyService } from './tenancy.service.js';

/** Needs a global provider of DATA_SOURCE (the runtime's PlatformModule). */
@Module({
  controllers: [TenantController],
  providers: [
    {
      provide: TenantRepository,
      inject: [DATA_SOURCE],
      useFactory: (ds: DataSource) => new TenantRepository(ds),
    },
    {
      provide: TenancyService,
      inject: [TenantRepository],
      useFactory: (repo: TenantRepository) => new TenancyService(repo),
    },
    ApiKeyGuard,
  ],
  exports: [TenancyService, ApiKeyGuard],
})
export class TenancyModule {}
