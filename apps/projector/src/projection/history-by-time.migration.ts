import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tenant's recent changes across all its entities (`GET /v1/changes`) are read newest first by
 * when they were applied; without this index each page would sort the tenant's whole history.
 * The key's tail is the page order's tie-break, so a cursor resumes within one index range.
 */
export class HistoryByTime1732262400230 implements MigrationInterface {
  name = 'HistoryByTime1732262400230';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      'CREATE INDEX entity_history_applied ON entity_history (tenant_id, applied_at, entity_type, entity_id, version)',
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX entity_history_applied');
  }
}
