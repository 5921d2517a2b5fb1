import { defineQuery, deleteTenantRows, rowsOf } from '@hub/persistence';
import type { EntityManager } from 'typeorm';

/** What erasing a tenant deleted of the dispatcher's tables, per table. */
export interface DispatcherErased {
  delivery_attempts: number;
  deliveries: number;
  subscriptions: number;
}

/**
 * Deleting the dispatcher's data: finished deliveries past their retention with their attempts,
 * and everything of a tenant. Each call runs in the caller's transaction.
 */
export class DispatcherLifecycleRepository {
  /**
   * The oldest deliveries that finished (succeeded, or failed for good) before `cutoff`, at most
   * `limit`, with their attempts. A pending or sending delivery is never due: its retries go on.
   * Rows a replay or the worker holds are skipped, not waited for; a later batch takes them.
   */
  async pruneFinished(
    manager: EntityManager,
    cutoff: Date,
    limit: number,
  ): Promise<{ deliveries: number; attempts: number }> {
    const [row] = await rowsOf(manager, PRUNE_FINISHED, [cutoff, limit]);
    return { deliveries: row?.deliveries ?? 0, attempts: row?.attempts ?? 0 };
  }

  /** Every subscription of the tenant with its deliveries and their attempts; children first. */
  eraseTenant(manager: EntityManager, tenantId: string): Promise<DispatcherErased> {
    return deleteTenantRows(manager, tenantId, ['delivery_attempts', 'deliveries', 'subscriptions']);
  }
}

// The attempts go in the same statement, before the cascade would look for them one delivery at
// a time, and are counted.
const PRUNE_FINISHED = defineQuery<{ deliveries: number; attempts: number }>(`
  WITH due AS (
         SELECT tenant_id, id FROM deliveries
          WHERE status IN ('succeeded', 'failed') AND completed_at < $1
          ORDER BY completed_at LIMIT $2
          FOR UPDATE SKIP LOCKED),
       attempts AS (
         DELETE FROM delivery_attempts a USING due d
          WHERE a.tenant_id = d.tenant_id AND a.delivery_id = d.id
         RETURNING 1),
       deleted AS (
         DELETE FROM deliveries x USING due d WHERE x.tenant_id = d.tenant_id AND x.id = d.id
         RETURNING 1)
  SELECT (SELECT count(*)::int FROM deleted) AS deliveries, (SELECT count(*)::int FROM attempts) AS attempts`);
