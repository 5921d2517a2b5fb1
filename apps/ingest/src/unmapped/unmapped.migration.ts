import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Verified deliveries that could not be mapped, for the listing and for `ingest:remap` to mark. */
export class UnmappedDeliveries1732262400300 implements MigrationInterface {
  name = 'UnmappedDeliveries1732262400300';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE unmapped_deliveries (
        tenant_id uuid NOT NULL,
        source_id text NOT NULL,
        id text NOT NULL,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        received_at timestamptz NOT NULL,
        reason text NOT NULL,
        body_bytes integer NOT NULL,
        body text NOT NULL,
        body_truncated boolean NOT NULL,
        remapped_at timestamptz,
        event_ids text[] NOT NULL DEFAULT '{}',
        PRIMARY KEY (tenant_id, source_id, id),
        FOREIGN KEY (tenant_id, source_id) REFERENCES sources (tenant_id, id) ON DELETE CASCADE
      )`);
    await runner.query(
      'CREATE UNIQUE INDEX unmapped_deliveries_page ON unmapped_deliveries (tenant_id, source_id, seq)',
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE unmapped_deliveries');
  }
}
