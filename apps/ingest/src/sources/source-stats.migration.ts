import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Verified deliveries that could not be mapped are counted apart from accepted and rejected ones. */
export class SourceStatsUnmapped1732262400200 implements MigrationInterface {
  name = 'SourceStatsUnmapped1732262400200';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE source_stats
        ADD COLUMN unmapped bigint NOT NULL DEFAULT 0,
        ADD COLUMN last_unmapped_at timestamptz,
        ADD COLUMN last_unmapped_reason text`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE source_stats
        DROP COLUMN unmapped, DROP COLUMN last_unmapped_at, DROP COLUMN last_unmapped_reason`);
  }
}
