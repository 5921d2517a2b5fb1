import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A source's counts per minute, for the stats' last-hour and last-day windows: the totals in
 * source_stats carry no time per delivery, and accepted deliveries are stored nowhere else on the
 * Kafka transport. Each stats write drops the source's minutes older than a day, so a source keeps
 * at most about 1,440 rows.
 */
export class SourceStatsMinutes1732262400500 implements MigrationInterface {
  name = 'SourceStatsMinutes1732262400500';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE source_stats_minutes (
        tenant_id uuid NOT NULL,
        source_id text NOT NULL,
        minute timestamptz NOT NULL,
        accepted integer NOT NULL DEFAULT 0,
        rejected integer NOT NULL DEFAULT 0,
        unmapped integer NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, source_id, minute),
        FOREIGN KEY (tenant_id, source_id) REFERENCES sources (tenant_id, id) ON DELETE CASCADE
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE source_stats_minutes');
  }
}
