import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Finished deliveries by when they finished, for pruning the oldest first (docs/adr/0015). Partial:
 * a delivery enters it once, with its outcome, so matching and claiming pay nothing for it.
 */
export class DeliveriesFinished1732262400303 implements MigrationInterface {
  name = 'DeliveriesFinished1732262400303';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE INDEX deliveries_finished ON deliveries (completed_at) WHERE status IN ('succeeded', 'failed')`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX deliveries_finished');
  }
}
