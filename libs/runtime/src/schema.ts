import { BusLog1732262400000 } from '@hub/bus';
import { ApiKeyEntity, ApiKeyScopes1732262400002, Tenancy1732262400001, TenantEntity } from '@hub/tenancy';

/** Every entity and migration of the shared database, in the order the migrations run. */
export const ENTITIES = [TenantEntity, ApiKeyEntity];
export const MIGRATIONS = [BusLog1732262400000, Tenancy1732262400001, ApiKeyScopes1732262400002];
