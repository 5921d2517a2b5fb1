import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Unmapped deliveries by when they came, for pruning the oldest first (docs/adr/0015). */
export class UnmappedReceivedAt1732262400400 implements MigrationInterface {
  name = 'UnmappedReceivedAt1732262400400';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('CREATE INDEX unmapped_deliveries_received ON unmapped_deliveries (received_at)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX unmapped_deliveries_received');
  }
}
