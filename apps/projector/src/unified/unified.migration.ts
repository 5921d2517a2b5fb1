import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Unified records (docs/adr/0017): the tenant's linking rules and manual decisions (commands,
 * kept by a rebuild), and what is derived from them and the provider records (links, match keys,
 * merged records: wiped and re-derived by a rebuild). Entity rows also learn the time of the
 * canonical event that last changed them (`event_time`), which the merge orders members by when
 * the provider gives no time of its own: never the time a row was written, so every arrival
 * order merges alike. Rows written before this migration have none until a rebuild.
 */
export class UnifiedRecords1732262400240 implements MigrationInterface {
  name = 'UnifiedRecords1732262400240';

  async up(runner: QueryRunner): Promise<void> {
    for (const table of ['projects', 'customers', 'monitors'])
      await runner.query(`ALTER TABLE ${table} ADD COLUMN event_time timestamptz`);
    await runner.query(`
      CREATE TABLE linking_rules (
        tenant_id uuid PRIMARY KEY,
        rules jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE unified_decisions (
        tenant_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('customer', 'project')),
        member_id text NOT NULL,
        decision text NOT NULL CHECK (decision IN ('link', 'unlink')),
        target_member_id text,
        decided_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, kind, member_id),
        CHECK ((decision = 'link') = (target_member_id IS NOT NULL))
      )`);
    // Finds the records whose manual link names one that just arrived or changed.
    await runner.query(
      'CREATE INDEX unified_decisions_target ON unified_decisions (tenant_id, kind, target_member_id)',
    );
    await runner.query(`
      CREATE TABLE unified_links (
        tenant_id uuid NOT NULL,
        kind text NOT NULL,
        member_id text NOT NULL,
        unified_id text NOT NULL,
        linked_by text NOT NULL CHECK (linked_by IN ('rule', 'manual', 'self')),
        reason jsonb,
        PRIMARY KEY (tenant_id, kind, member_id)
      )`);
    await runner.query('CREATE INDEX unified_links_group ON unified_links (tenant_id, kind, unified_id)');
    await runner.query(`
      CREATE TABLE unified_link_keys (
        tenant_id uuid NOT NULL,
        kind text NOT NULL,
        key text NOT NULL,
        member_id text NOT NULL,
        PRIMARY KEY (tenant_id, kind, key, member_id)
      )`);
    // A record's own keys, to replace them when it changes.
    await runner.query(
      'CREATE INDEX unified_link_keys_member ON unified_link_keys (tenant_id, kind, member_id)',
    );
    // `json`, as the entity documents (ADR 0008): written and served whole, never queried inside,
    // so Postgres only checks the text instead of building a jsonb tree on every write.
    await runner.query(`
      CREATE TABLE unified_records (
        tenant_id uuid NOT NULL,
        kind text NOT NULL,
        id text NOT NULL,
        version integer NOT NULL,
        document json NOT NULL,
        provenance json NOT NULL,
        conflicts json NOT NULL,
        members text[] NOT NULL,
        providers text[] NOT NULL,
        sources text[] NOT NULL,
        status text,
        email text,
        stage text,
        reference_number text,
        search_text text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, kind, id)
      )`);
    await runner.query(
      'CREATE INDEX unified_records_updated ON unified_records (tenant_id, kind, updated_at)',
    );
    await runner.query('CREATE INDEX unified_records_email ON unified_records (tenant_id, kind, email)');
    await runner.query(
      'CREATE INDEX unified_records_status ON unified_records (tenant_id, kind, status, id)',
    );
    await runner.query('CREATE INDEX unified_records_stage ON unified_records (tenant_id, kind, stage, id)');
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of [
      'unified_records',
      'unified_link_keys',
      'unified_links',
      'unified_decisions',
      'linking_rules',
    ])
      await runner.query(`DROP TABLE ${table}`);
    for (const table of ['projects', 'customers', 'monitors'])
      await runner.query(`ALTER TABLE ${table} DROP COLUMN event_time`);
  }
}
