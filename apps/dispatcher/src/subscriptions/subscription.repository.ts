import { Inject, Injectable } from '@nestjs/common';
import { affectedBy, DATA_SOURCE, defineQuery, execute, rowsOf } from '@hub/persistence';
import type { OutboundScheme } from '@hub/signing';
import type { DataSource, EntityManager } from 'typeorm';
import type { StoredHeaders } from './subscription-headers.js';

export type SubscriptionStatus = 'pending' | 'active' | 'disabled';
export type Ordering = 'none' | 'entity';

/** A subscription row as stored; secrets and secret headers still sealed. */
export interface SubscriptionRow {
  tenant_id: string;
  id: string;
  endpoint: string;
  description: string | null;
  event_types: string[];
  trigger_fields: string[] | null;
  payload_fields: string[] | null;
  /** Secret ones sealed: see StoredHeaders. */
  headers: StoredHeaders;
  signature_scheme: OutboundScheme;
  secret_sealed: Buffer;
  previous_secret_sealed: Buffer | null;
  previous_secret_expires_at: Date | null;
  ordering: Ordering;
  status: SubscriptionStatus;
  status_reason: string | null;
  validated_at: Date | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

export type NewSubscription = Omit<
  SubscriptionRow,
  | 'previous_secret_sealed'
  | 'previous_secret_expires_at'
  | 'validated_at'
  | 'failing_since'
  | 'created_at'
  | 'updated_at'
>;

/** What may change after creation. */
export type SubscriptionChanges = Partial<
  Omit<SubscriptionRow, 'tenant_id' | 'id' | 'signature_scheme' | 'created_at' | 'updated_at'>
>;

/** The only column names an update ever writes into SQL. */
const COLUMNS = new Set<keyof SubscriptionChanges>([
  'endpoint',
  'description',
  'event_types',
  'trigger_fields',
  'payload_fields',
  'headers',
  'ordering',
  'status',
  'status_reason',
  'validated_at',
  'secret_sealed',
  'previous_secret_sealed',
  'previous_secret_expires_at',
  'failing_since',
]);

/** Every query on subscriptions; tenant first. */
@Injectable()
export class SubscriptionRepository {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  /**
   * Inserts unless the tenant already has `quota` subscriptions; false when over it. The count and
   * the insert happen under a per-tenant lock, so concurrent creates cannot overshoot.
   */
  async createWithinQuota(row: NewSubscription, quota: number): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      await execute(manager, defineQuery('SELECT pg_advisory_xact_lock(hashtext($1))'), [
        `subscriptions/${row.tenant_id}`,
      ]);
      const [counted] = await rowsOf(
        manager,
        defineQuery<{ count: number }>(
          'SELECT count(*)::int AS count FROM subscriptions WHERE tenant_id = $1',
        ),
        [row.tenant_id],
      );
      if ((counted?.count ?? 0) >= quota) return false;
      await execute(
        manager,
        defineQuery(`INSERT INTO subscriptions (tenant_id, id, endpoint, description, event_types, trigger_fields,
           payload_fields, headers, signature_scheme, secret_sealed, ordering, status, status_reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`),
        [
          row.tenant_id,
          row.id,
          row.endpoint,
          row.description,
          row.event_types,
          row.trigger_fields,
          row.payload_fields,
          JSON.stringify(row.headers),
          row.signature_scheme,
          row.secret_sealed,
          row.ordering,
          row.status,
          row.status_reason,
        ],
      );
      return true;
    });
  }

  async findById(tenantId: string, id: string): Promise<SubscriptionRow | null> {
    const rows = await rowsOf(
      this.dataSource,
      defineQuery<SubscriptionRow>('SELECT * FROM subscriptions WHERE tenant_id = $1 AND id = $2'),
      [tenantId, id],
    );
    return rows[0] ?? null;
  }

  /** Oldest first; `after` is the last id of the previous page. */
  listByTenant(tenantId: string, limit: number, after?: string): Promise<SubscriptionRow[]> {
    return rowsOf(
      this.dataSource,
      defineQuery<SubscriptionRow>(`SELECT * FROM subscriptions WHERE tenant_id = $1 AND ($2::text IS NULL OR id > $2)
        ORDER BY id LIMIT $3`),
      [tenantId, after ?? null, limit],
    );
  }

  /** The active subscriptions of these tenants, for matching one batch of changes. */
  listActive(manager: EntityManager, tenantIds: string[]): Promise<SubscriptionRow[]> {
    return rowsOf(
      manager,
      defineQuery<SubscriptionRow>(
        `SELECT * FROM subscriptions WHERE tenant_id = ANY($1::uuid[]) AND status = 'active' ORDER BY id`,
      ),
      [tenantIds],
    );
  }

  async update(tenantId: string, id: string, changes: SubscriptionChanges): Promise<SubscriptionRow | null> {
    const entries = Object.entries(changes).filter(([key]) => COLUMNS.has(key as keyof SubscriptionChanges));
    if (entries.length === 0) return this.findById(tenantId, id);
    const assignments = entries.map(([key], i) => `${key} = $${i + 3}`);
    const values = entries.map(([key, value]) => (key === 'headers' ? JSON.stringify(value) : value));
    const rows = await rowsOf(
      this.dataSource,
      defineQuery<SubscriptionRow>(`UPDATE subscriptions SET ${assignments.join(', ')}, updated_at = now()
        WHERE tenant_id = $1 AND id = $2 RETURNING *`),
      [tenantId, id, ...values],
    );
    return rows[0] ?? null;
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const affected = await affectedBy(
      this.dataSource,
      defineQuery('DELETE FROM subscriptions WHERE tenant_id = $1 AND id = $2'),
      [tenantId, id],
    );
    return affected > 0;
  }

  /**
   * The handshake's result. A subscription disabled while the handshake ran stays disabled.
   */
  async recordValidation(
    tenantId: string,
    id: string,
    accepted: boolean,
    reason: string | null,
  ): Promise<SubscriptionRow | null> {
    const rows = await rowsOf(
      this.dataSource,
      defineQuery<SubscriptionRow>(`UPDATE subscriptions
          SET status = CASE WHEN $3 THEN 'active' ELSE 'pending' END, status_reason = $4,
              validated_at = CASE WHEN $3 THEN now() ELSE validated_at END,
              failing_since = CASE WHEN $3 THEN NULL ELSE failing_since END, updated_at = now()
        WHERE tenant_id = $1 AND id = $2 AND status <> 'disabled' RETURNING *`),
      [tenantId, id, accepted, reason],
    );
    return rows[0] ?? (await this.findById(tenantId, id));
  }

  /** Subscriptions of every tenant (for /metrics): enabled (active) and disabled; pending ones are neither. */
  async countByStatus(): Promise<{ enabled: number; disabled: number }> {
    const [row] = await rowsOf(
      this.dataSource,
      defineQuery<{ enabled: number; disabled: number }>(
        `SELECT count(*) FILTER (WHERE status = 'active')::int AS enabled,
                count(*) FILTER (WHERE status = 'disabled')::int AS disabled FROM subscriptions`,
      ),
    );
    return { enabled: row?.enabled ?? 0, disabled: row?.disabled ?? 0 };
  }

  /** Subscriptions that just had a success are healthy again; one statement for many. */
  async markHealthy(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await execute(
      this.dataSource,
      defineQuery(
        'UPDATE subscriptions SET failing_since = NULL WHERE id = ANY($1::text[]) AND failing_since IS NOT NULL',
      ),
      [ids],
    );
  }

  /**
   * A failure: starts the failing period if none runs; disables the subscription when it has run
   * longer than `disableAfterMs`. Returns the row when this call disabled it.
   */
  async recordFailure(tenantId: string, id: string, disableAfterMs: number): Promise<SubscriptionRow | null> {
    const rows = await rowsOf(
      this.dataSource,
      defineQuery<SubscriptionRow & { disabled_now: boolean }>(`WITH old AS (
         SELECT status, failing_since,
                (status = 'active' AND failing_since < now() - $3 * interval '1 millisecond') AS expired
           FROM subscriptions WHERE tenant_id = $1 AND id = $2 FOR UPDATE)
       UPDATE subscriptions s SET failing_since = COALESCE(old.failing_since, now()),
              status = CASE WHEN old.expired THEN 'disabled' ELSE old.status END,
              status_reason = CASE WHEN old.expired
                THEN 'every delivery failed for ' || round($3 / 1000.0)::text || ' s' ELSE s.status_reason END,
              updated_at = CASE WHEN old.expired THEN now() ELSE s.updated_at END
         FROM old WHERE s.tenant_id = $1 AND s.id = $2
       RETURNING s.*, old.expired AS disabled_now`),
      [tenantId, id, disableAfterMs],
    );
    const row = rows[0];
    return row?.disabled_now ? row : null;
  }

  /** 410 Gone: disabled at once. Returns the row when this call disabled it. */
  async disable(tenantId: string, id: string, reason: string): Promise<SubscriptionRow | null> {
    const rows = await rowsOf(
      this.dataSource,
      defineQuery<SubscriptionRow>(`UPDATE subscriptions SET status = 'disabled', status_reason = $3, updated_at = now()
        WHERE tenant_id = $1 AND id = $2 AND status <> 'disabled' RETURNING *`),
      [tenantId, id, reason],
    );
    return rows[0] ?? null;
  }
}
