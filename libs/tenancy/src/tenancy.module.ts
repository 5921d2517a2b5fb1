import { Module } from '@nestjs/common';
import { DATA_SOURCE } from '@hub/persistence';
import type { DataSource } from 'typeorm';
import { ApiKeyGuard } from './api-key.guard.js';
import { ApiKeyRepository } from './api-key.repository.js';
import { ApiKeyService } from './api-key.service.js';
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
      provide: ApiKeyRepository,
      inject: [DATA_SOURCE],
      useFactory: (ds: DataSource) => new ApiKeyRepository(ds),
    },
    {
      provide: TenancyService,
      inject: [TenantRepository, ApiKeyRepository],
      useFactory: (tenants: TenantRepository, keys: ApiKeyRepository) => new TenancyService(tenants, keys),
    },
    {
      provide: ApiKeyService,
      inject: [ApiKeyRepository],
      useFactory: (keys: ApiKeyRepository) => new ApiKeyService(keys),
    },
    ApiKeyGuard,
  ],
  exports: [TenancyService, ApiKeyService, ApiKeyGuard],
})
export class TenancyModule {}
