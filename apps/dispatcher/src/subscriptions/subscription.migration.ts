import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Subscriptions: where to send what, signed how. `trigger_fields` / `payload_fields` NULL mean
 * the documented defaults. The secret is sealed with SECRETS_KEY; a rotated-out secret keeps
 * signing until `previous_secret_expires_at`.
 */
export class Subscriptions1732262400300 implements MigrationInterface {
  name = 'Subscriptions1732262400300';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE subscriptions (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id text NOT NULL UNIQUE,
        endpoint text NOT NULL,
        description text,
        event_types text[] NOT NULL DEFAULT '{}',
        trigger_fields text[],
        payload_fields text[],
        headers jsonb NOT NULL DEFAULT '{}',
        signature_scheme text NOT NULL,
        secret_sealed bytea NOT NULL,
        previous_secret_sealed bytea,
        previous_secret_expires_at timestamptz,
        ordering text NOT NULL DEFAULT 'none' CHECK (ordering IN ('none', 'entity')),
        status text NOT NULL CHECK (status IN ('pending', 'active', 'disabled')),
        status_reason text,
        validated_at timestamptz,
        failing_since timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
    await runner.query(
      `CREATE INDEX subscriptions_active ON subscriptions (tenant_id) WHERE status = 'active'`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE subscriptions');
  }
}
