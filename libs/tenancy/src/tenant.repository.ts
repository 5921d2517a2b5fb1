import type { DataSource } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity.js';
import { TenantEntity } from './tenant.entity.js';

/** Every query on tenants and their API keys. */
export class TenantRepository {
  constructor(private readonly dataSource: DataSource) {}

  async createWithKey(
    tenant: Pick<TenantEntity, 'id' | 'name'>,
    key: Pick<ApiKeyEntity, 'id' | 'prefix' | 'keyHash'>,
  ) {
    await this.dataSource.transaction(async (manager) => {
      await manager.insert(TenantEntity, tenant);
      await manager.insert(ApiKeyEntity, { ...key, tenantId: tenant.id, revokedAt: null });
    });
  }

  /** The tenant owning an unrevoked key with this hash, if any. */
  async findByActiveKeyHash(keyHash: Buffer): Promise<TenantEntity | null> {
    return this.dataSource
      .getRepository(TenantEntity)
      .createQueryBuilder('tenant')
      .innerJoin(ApiKeyEntity, 'key', 'key.tenant_id = tenant.id')
      .where('key.key_hash = :keyHash AND key.revoked_at IS NULL', { keyHash })
      .getOne();
  }
}
