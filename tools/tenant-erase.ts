import { erasePostgresLogTenant, type TransportName } from '@hub/bus';
import type { AppSchema } from '@hub/runtime';
import { eraseTenantRecord, type TenancyErased } from '@hub/tenancy';
import type { DataSource } from 'typeorm';
import { DISPATCHER_MIGRATIONS } from '../apps/dispatcher/src/migrations.js';
import {
  DispatcherLifecycleRepository,
  type DispatcherErased,
} from '../apps/dispatcher/src/retention/dispatcher-lifecycle.repository.js';
import { INGEST_SCHEMA } from '../apps/ingest/src/ingest.schema.js';
import {
  IngestLifecycleRepository,
  type IngestErased,
} from '../apps/ingest/src/retention/ingest-lifecycle.repository.js';
import { PROJECTOR_MIGRATIONS } from '../apps/projector/src/projection/migrations.js';
import { ProjectionRepository } from '../apps/projector/src/projection/projection.repository.js';
import {
  ProjectorLifecycleRepository,
  type ProjectorErased,
} from '../apps/projector/src/retention/projector-lifecycle.repository.js';

/** Every app's tables: erasing a tenant deletes from all of them. */
export const ERASE_SCHEMA: AppSchema = {
  entities: INGEST_SCHEMA.entities ?? [],
  migrations: [...(INGEST_SCHEMA.migrations ?? []), ...PROJECTOR_MIGRATIONS, ...DISPATCHER_MIGRATIONS],
};

export interface EraseResult {
  tenant_id: string;
  /** Rows deleted per table; `bus_messages` per topic of the Postgres log. */
  deleted: {
    dispatcher: DispatcherErased;
    projector: ProjectorErased;
    ingest: IngestErased;
    bus_messages: Record<string, number>;
    tenancy: TenancyErased;
  };
  /** What this command cannot delete, when the bus is Kafka (see the README, Operating it). */
  kafka?: string;
}

/**
 * Removes a tenant and everything the database holds of it, in one transaction: all of it, or
 * (on any failure) nothing. Each app's own repository deletes its tables, tenant first; then the
 * Postgres log's messages keyed to the tenant (canonical ones too); the tenant's row last.
 *
 * It holds the projector's rebuild lock, so no live projector batch writes the tenant's read models
 * again between the deletes and the commit. Running it again finds nothing more to delete.
 */
export async function eraseTenant(
  dataSource: DataSource,
  tenantId: string,
  transport: TransportName,
): Promise<EraseResult> {
  const deleted = await dataSource.transaction(async (manager) => {
    await new ProjectionRepository().holdRebuildLockExclusive(manager);
    return {
      dispatcher: await new DispatcherLifecycleRepository().eraseTenant(manager, tenantId),
      projector: await new ProjectorLifecycleRepository().eraseTenant(manager, tenantId),
      ingest: await new IngestLifecycleRepository().eraseTenant(manager, tenantId),
      bus_messages: await erasePostgresLogTenant(manager, tenantId),
      tenancy: await eraseTenantRecord(manager, tenantId),
    };
  });
  return {
    tenant_id: tenantId,
    deleted,
    ...(transport === 'kafka'
      ? {
          kafka: `messages keyed ${tenantId}/ stay on the Kafka topics until their retention ends; the canonical topics keep them until tombstoned (README, Operating it)`,
        }
      : {}),
  };
}
