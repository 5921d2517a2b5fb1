import { Inject, Injectable } from '@nestjs/common';
import { DATA_SOURCE, defineQuery, rowsOf } from '@hub/persistence';
import type { DataSource } from 'typeorm';
import type { EntityType } from '../projection/projection.repository.js';

export interface FieldRow {
  entity_type: EntityType;
  path: string;
  types: string[];
  documents: number;
}

/** How many documents of each type are looked at: the most recently updated ones. */
export const FIELDS_SAMPLE = 500;

/**
 * Every node of the sampled documents with its path; an array's elements keep the array's path
 * (the grammar has no indexes) and are not counted as nodes themselves, their members are. Keys
 * a path segment cannot spell (field-paths.ts) are not descended into, nor is anything below the
 * grammar's 12 segments.
 */
const FIELDS = defineQuery<FieldRow>(`WITH RECURSIVE sampled AS (
    (SELECT 'project'::text AS entity_type, id, document::jsonb AS value FROM projects
      WHERE tenant_id = $1 AND 'project' = ANY($2::text[]) ORDER BY updated_at DESC LIMIT $3)
    UNION ALL
    (SELECT 'customer'::text, id, document::jsonb FROM customers
      WHERE tenant_id = $1 AND 'customer' = ANY($2::text[]) ORDER BY updated_at DESC LIMIT $3)
    UNION ALL
    (SELECT 'monitor'::text, id, document::jsonb FROM monitors
      WHERE tenant_id = $1 AND 'monitor' = ANY($2::text[]) ORDER BY updated_at DESC LIMIT $3)),
  nodes AS (
    SELECT entity_type, id, entity_type AS path, value, 1 AS depth, false AS element FROM sampled
    UNION ALL
    SELECT n.entity_type, n.id, c.path, c.value, c.depth, c.element
      FROM nodes n
      CROSS JOIN LATERAL (
        SELECT n.path || '.' || o.key AS path, o.value, n.depth + 1 AS depth, false AS element
          FROM jsonb_each(CASE WHEN jsonb_typeof(n.value) = 'object' THEN n.value ELSE '{}' END) o
         WHERE n.depth < 12 AND o.key ~ '^[A-Za-z0-9_-]{1,100}$'
        UNION ALL
        SELECT n.path, a.value, n.depth, true
          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(n.value) = 'array' THEN n.value ELSE '[]' END) a) c)
SELECT entity_type, path,
       array_agg(DISTINCT jsonb_typeof(value) ORDER BY jsonb_typeof(value)) AS types,
       count(DISTINCT id)::int AS documents
  FROM nodes
 WHERE depth > 1 AND NOT element AND ($4::text IS NULL OR path COLLATE "C" > $4::text COLLATE "C")
 GROUP BY entity_type, path
 ORDER BY path COLLATE "C"
 LIMIT $5`);

/** The field paths of a tenant's current documents, computed in Postgres; tenant first. */
@Injectable()
export class FieldsRepository {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** Sorted by path (bytewise), after `afterPath`, at most `limit`. */
  seen(tenantId: string, types: EntityType[], limit: number, afterPath?: string): Promise<FieldRow[]> {
    return rowsOf(this.dataSource, FIELDS, [tenantId, types, FIELDS_SAMPLE, afterPath ?? null, limit]);
  }
}
