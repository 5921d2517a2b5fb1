import { Inject, Injectable } from '@nestjs/common';
import { DATA_SOURCE, defineQuery, rowsOf } from '@hub/persistence';
import type { DataSource } from 'typeorm';
import type { EntityType } from '../projection/projection.repository.js';

/** One version of one entity, its document made whole from the stored patches. */
export interface ChangeRow {
  entity_type: EntityType;
  entity_id: string;
  version: number;
  event_id: string;
  changed_paths: string[];
  document: Record<string, unknown>;
  applied_at: Date;
  /** applied_at to the microsecond, as the cursor carries it. */
  position: string;
}

/** Where a page starts: just after this change in the newest-first order. */
export interface ChangeKey {
  position: string;
  entityType: string;
  entityId: string;
  version: number;
}

export interface ChangeFilters {
  entityType?: EntityType;
  since?: Date;
}

/**
 * The page first, newest first by when each version was applied (ties by entity and version);
 * then each paged entity's documents from its latest whole one at or before the page's oldest
 * version of it, patch by patch (see HistoryPatches1732262400210), only as far as the page needs.
 */
const CHANGES = defineQuery<ChangeRow>(`WITH RECURSIVE page AS (
    SELECT entity_type, entity_id, version, event_id, changed_paths, applied_at,
           to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position
      FROM entity_history
     WHERE tenant_id = $1
       AND ($2::text IS NULL OR entity_type = $2::text)
       AND ($3::timestamptz IS NULL OR applied_at >= $3::timestamptz)
       AND ($4::timestamptz IS NULL
            OR (applied_at, entity_type, entity_id, version) < ($4::timestamptz, $5::text, $6::text, $7::int))
     ORDER BY applied_at DESC, entity_type DESC, entity_id DESC, version DESC
     LIMIT $8),
  wanted AS (
    SELECT entity_type, entity_id, min(version) AS first, max(version) AS last FROM page
     GROUP BY entity_type, entity_id),
  documents AS (
    SELECT w.entity_type, w.entity_id, whole.version, whole.document, w.last
      FROM wanted w
      CROSS JOIN LATERAL (
        SELECT h.version, h.document FROM entity_history h
         WHERE h.tenant_id = $1 AND h.entity_type = w.entity_type AND h.entity_id = w.entity_id
           AND h.document IS NOT NULL AND h.version <= w.first
         ORDER BY h.version DESC LIMIT 1) whole
    UNION ALL
    SELECT d.entity_type, d.entity_id, e.version,
           COALESCE(e.document, (d.document - e.patch_unset) || e.patch_set), d.last
      FROM documents d
      JOIN entity_history e ON e.tenant_id = $1 AND e.entity_type = d.entity_type
                           AND e.entity_id = d.entity_id AND e.version = d.version + 1
     WHERE d.version < d.last)
SELECT p.entity_type, p.entity_id, p.version, p.event_id, p.changed_paths, p.applied_at, p.position, d.document
  FROM page p JOIN documents d USING (entity_type, entity_id, version)
 ORDER BY p.applied_at DESC, p.entity_type DESC, p.entity_id DESC, p.version DESC`);

/** The tenant's state changes across its entities, from the entity history; tenant first. */
@Injectable()
export class ChangesRepository {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  recent(tenantId: string, filters: ChangeFilters, limit: number, after?: ChangeKey): Promise<ChangeRow[]> {
    return rowsOf(this.dataSource, CHANGES, [
      tenantId,
      filters.entityType ?? null,
      filters.since ?? null,
      after?.position ?? null,
      after?.entityType ?? null,
      after?.entityId ?? null,
      after?.version ?? null,
      limit,
    ]);
  }
}
