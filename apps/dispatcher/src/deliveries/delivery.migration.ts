import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox: one delivery per (subscription, change), its exact body fixed when it is matched,
 * so every attempt sends the same bytes under the same webhook-id; and the log of every attempt.
 *
 * Every row is written three times (matched, claimed, outcome) and none of those updates can be
 * HOT, so each index costs three entries per delivery: only the indexes a query needs are here.
 * The id is derived from (subscription, change), so the primary key alone keeps that pair unique.
 */
export class Deliveries1732262400301 implements MigrationInterface {
  name = 'Deliveries1732262400301';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE deliveries (
        seq bigserial NOT NULL,
        tenant_id uuid NOT NULL,
        id text NOT NULL,
        subscription_id text NOT NULL,
        change_id text NOT NULL,
        event_type text NOT NULL,
        entity_key text NOT NULL,
        body text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'succeeded', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz,
        last_status_code integer,
        last_error text,
        change_time timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, subscription_id) REFERENCES subscriptions (tenant_id, id) ON DELETE CASCADE
      )`);
    await runner.query(`CREATE INDEX deliveries_leased ON deliveries (lease_until) WHERE status = 'sending'`);
    await runner.query(
      `CREATE INDEX deliveries_open_by_entity ON deliveries (subscription_id, entity_key, seq)
        WHERE status IN ('pending', 'sending')`,
    );
    await runner.query(
      'CREATE INDEX deliveries_by_subscription ON deliveries (tenant_id, subscription_id, seq)',
    );
    await runner.query(
      `CREATE INDEX deliveries_due_by_subscription ON deliveries (subscription_id, next_attempt_at, seq)
        WHERE status = 'pending'`,
    );
    await runner.query(
      'CREATE INDEX deliveries_by_change_time ON deliveries (tenant_id, subscription_id, change_time)',
    );
    await runner.query(`
      CREATE TABLE delivery_attempts (
        tenant_id uuid NOT NULL,
        id text NOT NULL,
        delivery_id text NOT NULL,
        attempted_at timestamptz NOT NULL,
        status_code integer,
        duration_ms integer NOT NULL,
        error text,
        response_body text NOT NULL DEFAULT '',
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, delivery_id) REFERENCES deliveries (tenant_id, id) ON DELETE CASCADE
      )`);
    await runner.query(
      'CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts (delivery_id, attempted_at)',
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE delivery_attempts');
    await runner.query('DROP TABLE deliveries');
  }
}
