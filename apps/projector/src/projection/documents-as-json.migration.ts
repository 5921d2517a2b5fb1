import type { MigrationInterface, QueryRunner } from 'typeorm';

const TABLES = ['projects', 'customers', 'monitors'];

/**
 * The read models keep their documents as `json`, not `jsonb` (docs/adr/0008). A document is
 * written and served whole and never queried inside (filters use the typed columns), so jsonb's
 * parse into a tree, key sorting and re-serialisation on every read bought nothing and were
 * close to a third of Postgres's work per event. `json` stores the text as written: documents
 * keep the provider's key order, and a rebuild writes the same bytes as the live projector.
 * History keeps `jsonb`: its patches are applied with jsonb operators.
 */
export class DocumentsAsJson1732262400220 implements MigrationInterface {
  name = 'DocumentsAsJson1732262400220';

  async up(runner: QueryRunner): Promise<void> {
    for (const table of TABLES) {
      await runner.query(`ALTER TABLE ${table} ALTER COLUMN document TYPE json USING document::json`);
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of TABLES) {
      await runner.query(`ALTER TABLE ${table} ALTER COLUMN document TYPE jsonb USING document::jsonb`);
    }
  }
}
