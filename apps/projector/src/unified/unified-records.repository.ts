import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { DATA_SOURCE, defineQuery, rowsOf } from '@hub/persistence';
import { containsPattern } from '@hub/runtime';
import { TABLES } from '../projection/projection.repository.js';
import type { UnifiedKind } from './linking-rules.js';
import type { FieldConflict, FieldProvenance } from './merge.js';

/** A provider's record id: `<provider>:<id at the provider>` (what the read models are keyed by). */
export const RECORD_ID = /^[a-z-]{1,50}:[\s\S]{1,1000}$/;
/** A unified record's id: `unified:cus_<20 hex>` or `unified:prj_<20 hex>`. */
export const UNIFIED_ID = /^unified:(cus|prj)_[0-9a-f]{20}$/;

export interface UnifiedMemberRow {
  record: string;
  linked_by: string | null;
  reason: Record<string, unknown> | null;
}

/** A unified record as the API lists and answers it (not the engine's UnifiedRecordListRow). */
export interface UnifiedRecordListRow {
  id: string;
  version: number;
  document: Record<string, unknown>;
  provenance: Record<string, FieldProvenance> | null;
  conflicts: FieldConflict[] | null;
  member_links: UnifiedMemberRow[];
  created_at: Date;
  updated_at: Date;
}

export interface UnifiedListFilters {
  updatedSince?: Date;
  /** Only records with a member of this provider. */
  provider?: string;
  /** Only records with a member fed by this source (src_…). */
  source?: string;
  /** Text the unified id, a member id, a reference, name or email contains, in any case. */
  search?: string;
  /** Typed column → value, only the kind's columns (checked by the caller's DTO). */
  columns: Record<string, string>;
}

/** What the listed and fetched rows carry: the record and its members with how each was linked. */
const LISTED_COLUMNS = `r.id, r.version, r.document, r.provenance, r.conflicts, r.created_at, r.updated_at,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('record', m.member, 'linked_by', l.linked_by, 'reason', l.reason)
                             ORDER BY m.ord), '[]'::jsonb)
     FROM unnest(r.members) WITH ORDINALITY AS m(member, ord)
     LEFT JOIN unified_links l ON l.tenant_id = r.tenant_id AND l.kind = r.kind AND l.member_id = m.member
  ) AS member_links`;

/** The typed columns a list filters on exactly (email kept in lower case, as /v1/customers). */
const FILTERED: Record<UnifiedKind, readonly string[]> = {
  customer: ['status', 'email'],
  project: ['stage'],
};

/**
 * The unified API's reads: the unified records with their members' links, the records a manual
 * decision names, the groups a re-evaluation is compared against; tenant first. Every write (rules,
 * decisions, links, unified records) is UnifiedRepository's, the engine's.
 */
@Injectable()
export class UnifiedRecordsRepository {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  /**
   * Ordered by id, as every list of the read models (the primary key serves it): pages stay
   * stable while records are updated. A record whose group gains a member with a smaller id is
   * then listed under that id (it replaces the old one).
   */
  list(
    tenantId: string,
    kind: UnifiedKind,
    filters: UnifiedListFilters,
    limit: number,
    afterId?: string,
  ): Promise<UnifiedRecordListRow[]> {
    const where = ['r.tenant_id = $1', 'r.kind = $2'];
    const params: unknown[] = [tenantId, kind];
    const add = (sql: string, ...values: unknown[]) => {
      let text = sql;
      for (const value of values) {
        params.push(value);
        text = text.replace('?', `$${params.length}`);
      }
      where.push(text);
    };
    if (afterId) add('r.id > ?', afterId);
    if (filters.updatedSince) add('r.updated_at >= ?', filters.updatedSince);
    if (filters.provider) add('? = ANY(r.providers)', filters.provider);
    if (filters.source) add('? = ANY(r.sources)', `/sources/${filters.source}`);
    // search_text: the unified id, the member ids and the merged name, email and reference.
    if (filters.search) add('r.search_text ILIKE ?', containsPattern(filters.search));
    for (const [column, value] of Object.entries(filters.columns)) {
      if (FILTERED[kind].includes(column))
        add(`r.${column} = ?`, column === 'email' ? value.trim().toLowerCase() : value);
    }
    params.push(limit);
    return rowsOf(
      this.dataSource,
      defineQuery<UnifiedRecordListRow>(`SELECT ${LISTED_COLUMNS} FROM unified_records r
        WHERE ${where.join(' AND ')} ORDER BY r.id LIMIT $${params.length}`),
      params,
    );
  }

  /** A unified record by its id, or by the id of one of its members. */
  async find(
    db: DataSource | EntityManager | null,
    tenantId: string,
    kind: UnifiedKind,
    id: string,
  ): Promise<UnifiedRecordListRow | null> {
    const byUnifiedId = UNIFIED_ID.test(id);
    const rows = await rowsOf(
      db ?? this.dataSource,
      defineQuery<UnifiedRecordListRow>(
        byUnifiedId
          ? `SELECT ${LISTED_COLUMNS} FROM unified_records r WHERE r.tenant_id = $1 AND r.kind = $2 AND r.id = $3`
          : `SELECT ${LISTED_COLUMNS} FROM unified_links l0
               JOIN unified_records r ON r.tenant_id = l0.tenant_id AND r.kind = l0.kind AND r.id = l0.unified_id
              WHERE l0.tenant_id = $1 AND l0.kind = $2 AND l0.member_id = $3`,
      ),
      [tenantId, kind, id],
    );
    return rows[0] ?? null;
  }

  /** Which kinds have a provider record with this id (a customer and a project may share one). */
  async kindsOfRecord(manager: EntityManager, tenantId: string, record: string): Promise<Set<UnifiedKind>> {
    const rows = await rowsOf(
      manager,
      defineQuery<{ kind: UnifiedKind }>(`
        SELECT 'customer' AS kind FROM ${TABLES.customer.table} WHERE tenant_id = $1 AND id = $2
        UNION ALL
        SELECT 'project' AS kind FROM ${TABLES.project.table} WHERE tenant_id = $1 AND id = $2`),
      [tenantId, record],
    );
    return new Set(rows.map((row) => row.kind));
  }

  /** The members of every group of a kind, by member: what a re-evaluation is compared against. */
  async groupsOf(manager: EntityManager, tenantId: string, kind: UnifiedKind): Promise<Map<string, string>> {
    const rows = await rowsOf(
      manager,
      defineQuery<{ member_id: string; unified_id: string }>(
        'SELECT member_id, unified_id FROM unified_links WHERE tenant_id = $1 AND kind = $2',
      ),
      [tenantId, kind],
    );
    return new Map(rows.map((row) => [row.member_id, row.unified_id]));
  }

  /**
   * The members of the groups that hold any of `members`, by member: what a re-evaluation of the
   * groups around a decision is compared against (groupsOf, only those groups).
   */
  async groupsAround(
    manager: EntityManager,
    tenantId: string,
    kind: UnifiedKind,
    members: readonly string[],
  ): Promise<Map<string, string>> {
    if (members.length === 0) return new Map();
    const rows = await rowsOf(
      manager,
      defineQuery<{
        member_id: string;
        unified_id: string;
      }>(`SELECT l.member_id, l.unified_id FROM unified_links l
        WHERE l.tenant_id = $1 AND l.kind = $2
          AND l.unified_id IN (SELECT g.unified_id FROM unified_links g
                                WHERE g.tenant_id = $1 AND g.kind = $2 AND g.member_id = ANY($3::text[]))`),
      [tenantId, kind, members],
    );
    return new Map(rows.map((row) => [row.member_id, row.unified_id]));
  }

  /**
   * The `link` decisions that name `target` (records linked by hand to it) name instead the
   * smallest of `remaining` other than the deciding record itself, or are forgotten when there is
   * none: what an unlink of `target` does, so no record linked to it by hand pulls it back. The
   * records whose decisions changed.
   */
  async retargetLinks(
    manager: EntityManager,
    tenantId: string,
    kind: UnifiedKind,
    target: string,
    remaining: readonly string[],
  ): Promise<string[]> {
    const rows = await rowsOf(
      manager,
      defineQuery<{ member_id: string }>(`WITH next AS (
          SELECT d.member_id,
                 (SELECT m FROM unnest($4::text[]) AS m WHERE m <> d.member_id
                   ORDER BY m COLLATE "C" LIMIT 1) AS target
            FROM unified_decisions d
           WHERE d.tenant_id = $1 AND d.kind = $2 AND d.decision = 'link' AND d.target_member_id = $3),
        forgotten AS (
          DELETE FROM unified_decisions d USING next
           WHERE d.tenant_id = $1 AND d.kind = $2 AND d.member_id = next.member_id AND next.target IS NULL
          RETURNING d.member_id),
        moved AS (
          UPDATE unified_decisions d SET target_member_id = next.target FROM next
           WHERE d.tenant_id = $1 AND d.kind = $2 AND d.member_id = next.member_id AND next.target IS NOT NULL
          RETURNING d.member_id)
        SELECT member_id FROM forgotten UNION ALL SELECT member_id FROM moved`),
      [tenantId, kind, target, remaining],
    );
    return rows.map((row) => row.member_id);
  }
}
