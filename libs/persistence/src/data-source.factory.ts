import { DataSource, type MigrationInterface } from 'typeorm';
import { defineQuery, execute } from './typed-query.js';

export type EntityClass = new () => object;

export interface DataSourceSettings {
  url: string;
  applicationName: string;
  /** Entity classes (decorated with @Entity). */
  entities: EntityClass[];
  migrations: Array<new () => MigrationInterface>;
  poolSize?: number;
}

/** The one way apps, tools and tests open the database. Schema changes only through migrations. */
export function createDataSource(settings: DataSourceSettings): DataSource {
  return new DataSource({
    type: 'postgres',
    url: settings.url,
    applicationName: settings.applicationName,
    entities: settings.entities,
    migrations: settings.migrations,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: {
      max: settings.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      // A dead connection must fail a query, not hang it: the bus turns the failure into a 503.
      query_timeout: 30_000,
      keepAlive: true,
    },
  });
}

const MIGRATIONS_LOCK = defineQuery("SELECT pg_advisory_lock(hashtext('solar-hub:migrations'))");
const MIGRATIONS_UNLOCK = defineQuery("SELECT pg_advisory_unlock(hashtext('solar-hub:migrations'))");

/**
 * Runs pending migrations under a cluster-wide advisory lock, so the three apps starting at
 * once never race each other on the same migration.
 */
export async function runMigrationsExclusively(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await execute(runner, MIGRATIONS_LOCK);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await execute(runner, MIGRATIONS_UNLOCK).catch(() => undefined);
    await runner.release();
  }
}

/** The URL with its password replaced, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable URL>';
  }
}

/** Nest injection token for the app's DataSource. */
export const DATA_SOURCE = Symbol('DATA_SOURCE');
