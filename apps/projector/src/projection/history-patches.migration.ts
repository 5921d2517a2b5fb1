import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * History rows keep what changed instead of the whole document (docs/adr/0005): a version's
 * document is its predecessor's without `patch_unset`'s top-level keys, merged with `patch_set`.
 * A row keeps the whole `document` where it has no predecessor (the entity's first version), and
 * every row written before this migration keeps its document, so old and new rows read alike.
 */
export class HistoryPatches1732262400210 implements MigrationInterface {
  name = 'HistoryPatches1732262400210';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE entity_history
        ALTER COLUMN document DROP NOT NULL,
        ADD COLUMN patch_set jsonb,
        ADD COLUMN patch_unset text[],
        ADD CONSTRAINT entity_history_document_or_patch
          CHECK (document IS NOT NULL OR (patch_set IS NOT NULL AND patch_unset IS NOT NULL))`);
  }

  async down(runner: QueryRunner): Promise<void> {
    // Rebuild the documents the patches stand for before the column may be NOT NULL again.
    await runner.query(`
      WITH RECURSIVE full_history AS (
        SELECT tenant_id, entity_type, entity_id, version, document FROM entity_history
         WHERE document IS NOT NULL AND version = 1
        UNION ALL
        SELECT e.tenant_id, e.entity_type, e.entity_id, e.version,
               COALESCE(e.document, (f.document - e.patch_unset) || e.patch_set)
          FROM full_history f
          JOIN entity_history e ON e.tenant_id = f.tenant_id AND e.entity_type = f.entity_type
                               AND e.entity_id = f.entity_id AND e.version = f.version + 1)
      UPDATE entity_history e SET document = f.document
        FROM full_history f
       WHERE e.document IS NULL AND e.tenant_id = f.tenant_id AND e.entity_type = f.entity_type
         AND e.entity_id = f.entity_id AND e.version = f.version`);
    await runner.query(`
      ALTER TABLE entity_history
        DROP CONSTRAINT entity_history_document_or_patch,
        DROP COLUMN patch_unset,
        DROP COLUMN patch_set,
        ALTER COLUMN document SET NOT NULL`);
  }
}
