import { createDataSource, runMigrationsExclusively, type EntityClass } from '@hub/persistence';
import { ENTITIES, MIGRATIONS } from '@hub/runtime';
import { ApiKeyRepository, TenancyService, TenantRepository } from '@hub/tenancy';
import type { DataSource, MigrationInterface } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * The medium lane: one repository against a real Postgres, no app process, no HTTP. Each test file
 * gets a fresh database with the shared schema and its app's migrations, run the way runApp runs
 * them, and two tenants, so every query can be held to its tenant.
 */
export interface MediumDatabase {
  dataSource: DataSource;
  tenantA: string;
  tenantB: string;
  close(): Promise<void>;
}

export interface AppTables {
  entities?: EntityClass[];
  migrations?: Array<new () => MigrationInterface>;
}

export async function openMediumDatabase(tables: AppTables = {}): Promise<MediumDatabase> {
  const database: TestDatabase = await createTestDatabase();
  const dataSource = createDataSource({
    url: database.url,
    applicationName: 'medium-test',
    entities: [...ENTITIES, ...(tables.entities ?? [])],
    migrations: [...MIGRATIONS, ...(tables.migrations ?? [])],
    poolSize: 4,
  });
  await dataSource.initialize();
  await runMigrationsExclusively(dataSource);
  const tenancy = new TenancyService(new TenantRepository(dataSource), new ApiKeyRepository(dataSource));
  const tenantA = (await tenancy.createTenant('Tenant A')).tenant_id;
  const tenantB = (await tenancy.createTenant('Tenant B')).tenant_id;
  return {
    dataSource,
    tenantA,
    tenantB,
    close: async () => {
      await dataSource.destroy();
      await database.drop();
    },
  };
}
