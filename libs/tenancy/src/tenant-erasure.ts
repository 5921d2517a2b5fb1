import { defineQuery, rowsOf } from '@hub/persistence';
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
  const [keys] = await rowsOf(manager, ERASE_API_KEYS, [tenantId]);
  const [tenant] = await rowsOf(manager, ERASE_TENANT, [tenantId]);
  return { api_keys: keys?.deleted ?? 0, tenants: tenant?.deleted ?? 0 };
}

const ERASE_API_KEYS = defineQuery<{ deleted: number }>(`
  WITH deleted AS (DELETE FROM api_keys WHERE tenant_id = $1 RETURNING 1)
  SELECT count(*)::int AS deleted FROM deleted`);

const ERASE_TENANT = defineQuery<{ deleted: number }>(`
  WITH deleted AS (DELETE FROM tenants WHERE id = $1 RETURNING 1)
  SELECT count(*)::int AS deleted FROM deleted`);
