import type { DataSource } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity.js';
import { TenantEntity } from './tenant.entity.js';

/** Creating tenants; their API keys' own queries are in ApiKeyRepository. */
export class TenantRepository {
  constructor(private readonly dataSource: DataSource) {}

  async createWithKey(
    tenant: Pick<TenantEntity, 'id' | 'name'>,
    key: Pick<ApiKeyEntity, 'id' | 'name' | 'scope' | 'prefix' | 'lastFour' | 'keyHash'>,
  ) {
    await this.dataSource.transaction(async (manager) => {
      await manager.insert(TenantEntity, tenant);
      await manager.insert(ApiKeyEntity, { ...key, tenantId: tenant.id, lastUsedAt: null, revokedAt: null });
    });
  }
}
