import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Read models: one table per entity type, a JSONB document plus typed columns for what the query
 * API filters on; the history of every version; activity timelines; the ids of applied events.
 */
export class Projection1732262400200 implements MigrationInterface {
  name = 'Projection1732262400200';

  async up(runner: QueryRunner): Promise<void> {
    for (const [table, columns] of [
      ['projects', 'stage text, reference_number text'],
      ['customers', 'status text, email text'],
      ['monitors', 'kind text, status text'],
    ] as const) {
      await runner.query(`
        CREATE TABLE ${table} (
          tenant_id uuid NOT NULL,
          id text NOT NULL,
          provider text NOT NULL,
          sources text[] NOT NULL,
          document jsonb NOT NULL,
          version integer NOT NULL,
          ${columns},
          provider_updated_at timestamptz,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (tenant_id, id)
        )`);
      await runner.query(`CREATE INDEX ${table}_updated ON ${table} (tenant_id, updated_at)`);
      await runner.query(`CREATE INDEX ${table}_provider ON ${table} (tenant_id, provider, id)`);
    }
    await runner.query('CREATE INDEX projects_stage ON projects (tenant_id, stage, id)');
    await runner.query('CREATE INDEX customers_status ON customers (tenant_id, status, id)');
    await runner.query('CREATE INDEX customers_email ON customers (tenant_id, email)');
    await runner.query('CREATE INDEX monitors_status ON monitors (tenant_id, status, id)');
    await runner.query(`
      CREATE TABLE entity_history (
        tenant_id uuid NOT NULL,
        entity_type text NOT NULL,
        entity_id text NOT NULL,
        version integer NOT NULL,
        event_id text NOT NULL,
        event_type text NOT NULL,
        changed_paths text[] NOT NULL,
        document jsonb NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, entity_type, entity_id, version)
      )`);
    await runner.query(`
      CREATE TABLE activities (
        tenant_id uuid NOT NULL,
        entity_type text NOT NULL,
        entity_id text NOT NULL,
        event_id text NOT NULL,
        type text NOT NULL,
        occurred_at timestamptz NOT NULL,
        data jsonb NOT NULL,
        PRIMARY KEY (tenant_id, event_id)
      )`);
    await runner.query(
      'CREATE INDEX activities_entity ON activities (tenant_id, entity_type, entity_id, occurred_at)',
    );
    await runner.query(`
      CREATE TABLE applied_events (
        tenant_id uuid NOT NULL,
        event_id text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, event_id)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of [
      'applied_events',
      'activities',
      'entity_history',
      'monitors',
      'customers',
      'projects',
    ]) {
      await runner.query(`DROP TABLE ${table}`);
    }
  }
}
