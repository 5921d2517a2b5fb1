import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keys get a name, a scope, their last four characters and when they were last used. Keys made
 * before this keep working as they did: `write`, named "initial". Their last four characters are
 * unknown (only the hash was kept), so `last_four` stays null for them.
 */
export class ApiKeyScopes1732262400002 implements MigrationInterface {
  name = 'ApiKeyScopes1732262400002';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE api_keys
        ADD COLUMN name text NOT NULL DEFAULT 'initial' CHECK (length(name) BETWEEN 1 AND 200),
        ADD COLUMN scope text NOT NULL DEFAULT 'write' CHECK (scope IN ('read', 'write')),
        ADD COLUMN last_four text,
        ADD COLUMN last_used_at timestamptz`);
    // The default named the keys that existed; every new key is named by whoever makes it.
    await runner.query('ALTER TABLE api_keys ALTER COLUMN name DROP DEFAULT');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE api_keys
        DROP COLUMN name,
        DROP COLUMN scope,
        DROP COLUMN last_four,
        DROP COLUMN last_used_at`);
  }
}
