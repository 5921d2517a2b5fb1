import { defineQuery, deleteTenantRows, rowsOf, type Query } from '@hub/persistence';
import type { EntityManager } from 'typeorm';
import { TABLES, type EntityType } from '../projection/projection.repository.js';

/** What erasing a tenant deleted of the projector's tables, per table. */
export type ProjectorErased = Record<(typeof ERASED_TABLES)[number], number>;

// Children of an entity first, so a reader never sees history of an entity already gone.
const ERASED_TABLES = [
  'unified_links',
  'unified_link_keys',
  'unified_records',
  'unified_decisions',
  'linking_rules',
  'entity_history',
  'activities',
  'applied_events',
  'projects',
  'customers',
  'monitors',
] as const;

/** An entity whose history was walked: where the walk goes on from in its table. */
export interface EntityCursor {
  tenantId: string;
  id: string;
}

/**
 * Deleting the projector's data: entity history past its retention, and everything of a tenant.
 * Each call runs in the caller's transaction (the pruner's batch, the erase command's one).
 */
export class ProjectorLifecycleRepository {
  /**
   * The next `limit` entities of one type after `after`, in their table's key order: the walk
   * history pruning takes through every entity, a bounded batch at a time.
   */
  async nextEntities(
    manager: EntityManager,
    type: EntityType,
    after: EntityCursor | null,
    limit: number,
  ): Promise<EntityCursor[]> {
    const rows = await rowsOf(manager, NEXT_ENTITIES[type], [
      after?.tenantId ?? null,
      after?.id ?? null,
      limit,
    ]);
    return rows.map((row) => ({ tenantId: row.tenant_id, id: row.id }));
  }

  /**
   * For each entity given, deletes its history versions applied before `cutoff`, except the
   * current version, which is always kept. History rows after an entity's first keep only what
   * changed (docs/adr/0005), so the first version kept is rewritten to its whole document first,
   * folded from the versions deleted: the history endpoint replays from it as from a version 1.
   */
  async pruneHistory(
    manager: EntityManager,
    type: EntityType,
    entities: EntityCursor[],
    cutoff: Date,
  ): Promise<number> {
    if (entities.length === 0) return 0;
    const [row] = await rowsOf(manager, PRUNE_HISTORY, [
      type,
      entities.map((entity) => entity.tenantId),
      entities.map((entity) => entity.id),
      cutoff,
    ]);
    return row?.deleted ?? 0;
  }

  /** Every read model, version and timeline entry of the tenant, and its applied event ids. */
  async eraseTenant(manager: EntityManager, tenantId: string): Promise<ProjectorErased> {
    return deleteTenantRows(manager, tenantId, ERASED_TABLES);
  }
}

const NEXT_ENTITIES = Object.fromEntries(
  Object.entries(TABLES).map(([type, { table }]) => [
    type,
    defineQuery<{ tenant_id: string; id: string }>(`SELECT tenant_id, id FROM ${table}
      WHERE $1::uuid IS NULL OR (tenant_id, id) > ($1::uuid, $2::text)
      ORDER BY tenant_id, id LIMIT $3`),
  ]),
) as Record<EntityType, Query<{ tenant_id: string; id: string }>>;

// Per entity: `first` is its oldest version stored (which always holds a whole document: the
// entity's version 1, or a version an earlier round rewrote), `keep_from` the first version to
// keep (the oldest applied at or after the cutoff, else the current one). The chain folds the
// patches from `first` up to `keep_from`; that version gets the whole document, and those below it
// go. One statement, so a reader sees the history before or after, never half of it.
const PRUNE_HISTORY = defineQuery<{ deleted: number }>(`
  WITH RECURSIVE bounds AS (
         SELECT h.tenant_id, h.entity_id, min(h.version) AS first,
                COALESCE(min(h.version) FILTER (WHERE h.applied_at >= $4), max(h.version)) AS keep_from
           FROM entity_history h
           JOIN unnest($2::uuid[], $3::text[]) AS t(tenant_id, entity_id)
             ON h.tenant_id = t.tenant_id AND h.entity_id = t.entity_id
          WHERE h.entity_type = $1
          GROUP BY h.tenant_id, h.entity_id),
       due AS (SELECT * FROM bounds WHERE keep_from > first),
       chain AS (
         SELECT d.tenant_id, d.entity_id, h.version, h.document, d.keep_from
           FROM due d
           JOIN entity_history h ON h.tenant_id = d.tenant_id AND h.entity_type = $1
                                AND h.entity_id = d.entity_id AND h.version = d.first
         UNION ALL
         SELECT c.tenant_id, c.entity_id, e.version,
                COALESCE(e.document, (c.document - e.patch_unset) || e.patch_set), c.keep_from
           FROM chain c
           JOIN entity_history e ON e.tenant_id = c.tenant_id AND e.entity_type = $1
                                AND e.entity_id = c.entity_id AND e.version = c.version + 1
          WHERE c.version < c.keep_from),
       -- Only where the fold reached the version kept: a gap in the versions deletes nothing.
       folded AS (SELECT tenant_id, entity_id, keep_from FROM chain WHERE version = keep_from),
       deleted AS (
         DELETE FROM entity_history e USING folded f
          WHERE e.tenant_id = f.tenant_id AND e.entity_type = $1 AND e.entity_id = f.entity_id
            AND e.version < f.keep_from
         RETURNING 1),
       rebased AS (
         UPDATE entity_history e SET document = f.document, patch_set = NULL, patch_unset = NULL
           FROM (SELECT c.tenant_id, c.entity_id, c.version, c.document FROM chain c
                  WHERE c.version = c.keep_from) f
          WHERE e.tenant_id = f.tenant_id AND e.entity_type = $1 AND e.entity_id = f.entity_id
            AND e.version = f.version
         RETURNING 1)
  SELECT count(*)::int AS deleted FROM deleted`);
