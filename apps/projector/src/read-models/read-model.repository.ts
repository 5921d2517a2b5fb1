import { Inject, Injectable } from '@nestjs/common';
import { DATA_SOURCE, defineQuery, rowsOf } from '@hub/persistence';
import { containsPattern } from '@hub/runtime';
import type { DataSource } from 'typeorm';
import { TABLES, type EntityType } from '../projection/projection.repository.js';

export interface EntityRow {
  id: string;
  provider: string;
  sources: string[];
  document: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** One version of an entity, its document made whole from the stored patches. */
export interface HistoryVersionRow {
  version: number;
  event_id: string;
  event_type: string;
  changed_paths: string[];
  document: object;
  applied_at: Date;
}

export interface ActivityEntryRow {
  event_id: string;
  /** occurred_at to the microsecond, as the cursor carries it. */
  position: string;
  type: string;
  occurred_at: Date;
  data: object;
}

export interface ListFilters {
  updatedSince?: Date;
  provider?: string;
  source?: string;
  /** Text the entity's id, external id, reference, name or email contains, in any case. */
  search?: string;
  /** Typed column → value, only columns of the entity's table (checked by the caller's DTO). */
  columns: Record<string, string>;
}

/**
 * What `search` looks in, per entity type: columns and document fields (`json`, so `->>` reads
 * the text without a jsonb parse). No index serves `ILIKE '%…%'`: the tenant's rows are scanned,
 * fine for a console's searches; pg_trgm would be the index if that stops being true.
 */
const SEARCHED: Record<EntityType, string[]> = {
  project: ['id', "document->>'external_id'", 'reference_number', "document->>'name'"],
  customer: [
    'id',
    "document->>'external_id'",
    'email',
    "document->>'name'",
    "concat_ws(' ', document->>'first_name', document->>'last_name')",
  ],
  monitor: ['id', "document->>'external_id'", "document->>'name'"],
};

/** Every read of the read models; tenant first. */
@Injectable()
export class ReadModelRepository {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** Ordered by id, which never changes: pages stay stable while entities are written. */
  list(
    tenantId: string,
    type: EntityType,
    filters: ListFilters,
    limit: number,
    afterId?: string,
  ): Promise<EntityRow[]> {
    const { table, columns } = TABLES[type];
    const where = ['tenant_id = $1'];
    const params: unknown[] = [tenantId];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replaceAll('?', `$${params.length}`));
    };
    if (afterId) add('id > ?', afterId);
    if (filters.updatedSince) add('updated_at >= ?', filters.updatedSince);
    if (filters.provider) add('provider = ?', filters.provider);
    if (filters.source) add('? = ANY(sources)', `/sources/${filters.source}`);
    if (filters.search) add(searchCondition(type), containsPattern(filters.search));
    for (const [column, value] of Object.entries(filters.columns)) {
      if (columns.includes(column)) add(`${column} = ?`, value);
    }
    params.push(limit);
    return rowsOf(
      this.dataSource,
      defineQuery<EntityRow>(`SELECT id, provider, sources, document, version, created_at, updated_at FROM ${table}
        WHERE ${where.join(' AND ')} ORDER BY id LIMIT $${params.length}`),
      params,
    );
  }

  async findById(tenantId: string, type: EntityType, id: string): Promise<EntityRow | null> {
    const rows = await rowsOf(
      this.dataSource,
      defineQuery<EntityRow>(`SELECT id, provider, sources, document, version, created_at, updated_at FROM ${TABLES[type].table}
        WHERE tenant_id = $1 AND id = $2`),
      [tenantId, id],
    );
    return rows[0] ?? null;
  }

  /**
   * Versions after `afterVersion`, oldest first, at most `limit`. Each document is made whole from
   * version 1's, so the recursion stops at the last version the page needs.
   */
  history(
    tenantId: string,
    type: EntityType,
    id: string,
    limit: number,
    afterVersion = 0,
  ): Promise<HistoryVersionRow[]> {
    return rowsOf(
      this.dataSource,
      // Each version's document from its predecessor's and its patch (see HistoryPatches1732262400210),
      // from the oldest version kept: 1, or the one retention rewrote to a whole document.
      defineQuery<HistoryVersionRow>(`WITH RECURSIVE history AS (
         (SELECT version, event_id, event_type, changed_paths, document, applied_at FROM entity_history
           WHERE tenant_id = $1 AND entity_type = $2 AND entity_id = $3
           ORDER BY version LIMIT 1)
         UNION ALL
         SELECT e.version, e.event_id, e.event_type, e.changed_paths,
                COALESCE(e.document, (h.document - e.patch_unset) || e.patch_set), e.applied_at
           FROM history h
           JOIN entity_history e ON e.tenant_id = $1 AND e.entity_type = $2 AND e.entity_id = $3
                                AND e.version = h.version + 1
          WHERE h.version < $4::int + $5::int)
       SELECT version, event_id, event_type, changed_paths, document, applied_at FROM history
        WHERE version > $4::int ORDER BY version LIMIT $5::int`),
      [tenantId, type, id, afterVersion, limit],
    );
  }

  /** Oldest first, after `after` (a `position` and event id of the previous page), at most `limit`. */
  activity(
    tenantId: string,
    type: EntityType,
    id: string,
    limit: number,
    after?: { position: string; eventId: string },
  ): Promise<ActivityEntryRow[]> {
    return rowsOf(
      this.dataSource,
      // `position` keeps the microseconds a JavaScript Date would lose, so a page starts exactly after the last.
      defineQuery<ActivityEntryRow>(`SELECT event_id, type, occurred_at, data,
              to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position
         FROM activities
        WHERE tenant_id = $1 AND entity_type = $2 AND entity_id = $3
          AND ($4::timestamptz IS NULL OR (occurred_at, event_id) > ($4::timestamptz, $5::text))
        ORDER BY occurred_at, event_id LIMIT $6`),
      [tenantId, type, id, after?.position ?? null, after?.eventId ?? null, limit],
    );
  }
}

/** Any of the type's searched fields matching one pattern, `?` standing for it. */
function searchCondition(type: EntityType): string {
  return `(${SEARCHED[type].map((field) => `${field} ILIKE ?`).join(' OR ')})`;
}
