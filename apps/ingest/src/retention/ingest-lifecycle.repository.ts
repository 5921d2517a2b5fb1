import { defineQuery, deleteTenantRows, rowsOf } from '@hub/persistence';
import type { EntityManager } from 'typeorm';

/** What erasing a tenant deleted of ingest's tables, per table. */
export interface IngestErased {
  unmapped_deliveries: number;
  source_stats_minutes: number;
  source_stats: number;
  sources: number;
}

/**
 * Deleting ingest's data: unmapped deliveries past their retention, and everything of a tenant.
 * Each call runs in the caller's transaction (the pruner's batch, the erase command's one).
 */
export class IngestLifecycleRepository {
  /** The oldest unmapped deliveries received before `cutoff`, at most `limit` of them. */
  async pruneUnmapped(manager: EntityManager, cutoff: Date, limit: number): Promise<number> {
    const [row] = await rowsOf(manager, PRUNE_UNMAPPED, [cutoff, limit]);
    return row?.deleted ?? 0;
  }

  /** Every source of the tenant, with its counters and unmapped deliveries; children first. */
  eraseTenant(manager: EntityManager, tenantId: string): Promise<IngestErased> {
    return deleteTenantRows(manager, tenantId, [
      'unmapped_deliveries',
      'source_stats_minutes',
      'source_stats',
      'sources',
    ]);
  }
}

const PRUNE_UNMAPPED = defineQuery<{ deleted: number }>(`
  WITH deleted AS (
    DELETE FROM unmapped_deliveries WHERE (tenant_id, source_id, id) IN (
      SELECT tenant_id, source_id, id FROM unmapped_deliveries
       WHERE received_at < $1 ORDER BY received_at LIMIT $2)
    RETURNING 1)
  SELECT count(*)::int AS deleted FROM deleted`);
