import { affectedBy, defineQuery, deleteTenantRows } from '@hub/persistence';
import type { EntityManager } from 'typeorm';

/** What erasing a tenant deleted of the tenancy tables. */
export interface TenancyErased {
  api_keys: number;
  tenants: number;
}

/**
 * The tenant's own rows, its API keys first. The last step of erasing a tenant: every app deletes
 * its own tables of the tenant before (tools/tenant-erase.ts), in the caller's transaction.
 */
export async function eraseTenantRecord(manager: EntityManager, tenantId: string): Promise<TenancyErased> {
  const { api_keys } = await deleteTenantRows(manager, tenantId, ['api_keys']);
  return { api_keys, tenants: await affectedBy(manager, ERASE_TENANT, [tenantId]) };
}

const ERASE_TENANT = defineQuery<never, [string]>('DELETE FROM tenants WHERE id = $1');
