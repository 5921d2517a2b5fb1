import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Sources1732262400100 implements MigrationInterface {
  name = 'Sources1732262400100';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE sources (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id text NOT NULL UNIQUE,
        provider text NOT NULL,
        name text NOT NULL,
        secret_sealed bytea,
        verification text NOT NULL CHECK (verification IN ('signature', 'none')),
        settings jsonb NOT NULL DEFAULT '{}',
        validated_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
    await runner.query(`
      CREATE TABLE source_stats (
        tenant_id uuid NOT NULL,
        source_id text NOT NULL,
        accepted bigint NOT NULL DEFAULT 0,
        rejected jsonb NOT NULL DEFAULT '{}',
        last_delivery_at timestamptz,
        last_accepted_at timestamptz,
        PRIMARY KEY (tenant_id, source_id),
        FOREIGN KEY (tenant_id, source_id) REFERENCES sources (tenant_id, id) ON DELETE CASCADE
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE source_stats');
    await runner.query('DROP TABLE sources');
  }
}
