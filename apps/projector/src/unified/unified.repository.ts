import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  chunksForParameters,
  defineQuery,
  execute,
  rowsOf,
  valuesList,
  type Queryable,
} from '@hub/persistence';
import { CUSTOMER_KEY } from './link-keys.js';
import { storedLinkingRules, type LinkingRules, type UnifiedKind } from './linking-rules.js';

/** One provider record of a tenant, as the engine names it. */
export interface MemberRef {
  tenantId: string;
  kind: UnifiedKind;
  id: string;
}

/** A provider record with what the merge reads of it. */
export interface MemberRow {
  tenant_id: string;
  kind: UnifiedKind;
  id: string;
  provider: string;
  document: Record<string, unknown>;
  version: number;
  sources: string[];
  /** The provider's time of the record, else the time of the canonical event that last changed it. */
  time: Date | null;
}

export interface KeyRow {
  tenant_id: string;
  kind: UnifiedKind;
  member_id: string;
  key: string;
}

export type LinkedBy = 'rule' | 'manual' | 'self';

export interface LinkRow {
  tenant_id: string;
  kind: UnifiedKind;
  member_id: string;
  unified_id: string;
  linked_by: LinkedBy;
  reason: Record<string, unknown> | null;
}

export type Decision = 'link' | 'unlink';

export interface DecisionRow {
  tenant_id: string;
  kind: UnifiedKind;
  member_id: string;
  decision: Decision;
  /** For 'link': a record of the unified record this one is joined to. */
  target_member_id: string | null;
  decided_at: Date;
}

export interface UnifiedRecordRow {
  tenant_id: string;
  kind: UnifiedKind;
  id: string;
  version: number;
  document: Record<string, unknown>;
  provenance: Record<string, unknown>;
  conflicts: unknown[];
  members: string[];
  providers: string[];
  sources: string[];
  created_at: Date;
  updated_at: Date;
}

/** What the engine compares a recomputed group with: its version, document and members. */
export interface UnifiedRecordHead {
  tenant_id: string;
  kind: UnifiedKind;
  id: string;
  version: number;
  document: Record<string, unknown>;
  members: string[];
}

/**
 * What a recomputation reads about a closed scope of records: the scope, the stored keys of its
 * records, the manual decisions naming any of them, their current links, and the unified records
 * those links name.
 */
export interface ScopeState {
  scope: MemberRef[];
  keys: KeyRow[];
  decisions: DecisionRow[];
  links: LinkRow[];
  heads: UnifiedRecordHead[];
}

/** A unified record as the engine writes it; the typed columns are the lists' filters. */
export interface UnifiedRecordWrite {
  tenantId: string;
  kind: UnifiedKind;
  id: string;
  version: number;
  /** From the members' times (recordTimes), ISO 8601: a rebuild writes the same. Absent: now. */
  createdAt?: string;
  updatedAt?: string;
  document: Record<string, unknown>;
  provenance: Record<string, unknown>;
  conflicts: unknown[];
  members: string[];
  providers: string[];
  sources: string[];
  status: string | null;
  email: string | null;
  stage: string | null;
  reference_number: string | null;
  /** What a list's `q` searches: member ids, external ids, names, email, reference, lower-cased. */
  searchText: string;
}

/** Values per row of saveUnifiedRecords's INSERT. */
const RECORD_COLUMNS = 17;

/** The two-key advisory lock space of the engine (the rebuild lock uses the one-key space). */
const UNIFIED_LOCK_SPACE = 72_205_120;

const ENTITY_TABLES: Record<UnifiedKind, string> = { customer: 'customers', project: 'projects' };

/**
 * ScopeState of the records given, as one row of JSON arrays: each relation read by index, one
 * LATERAL lookup per record, as `reachable` does. `OFFSET 0` keeps each lookup a lookup: the
 * planner would otherwise pull it up into a join, and where it expected many records, hash whole
 * tables. A decision naming two records of the scope comes back once.
 */
const SCOPE_STATE = defineQuery<{
  keys: KeyRow[];
  decisions: Array<Omit<DecisionRow, 'decided_at'> & { decided_at: string }>;
  links: LinkRow[];
  heads: UnifiedRecordHead[];
}>(`WITH scope AS (
      SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) AS s(tenant_id, kind, id)
    ), links AS (
      SELECT l.tenant_id, l.kind, l.member_id, l.unified_id, l.linked_by, l.reason
        FROM scope s CROSS JOIN LATERAL (SELECT * FROM unified_links l
          WHERE l.tenant_id = s.tenant_id AND l.kind = s.kind AND l.member_id = s.id OFFSET 0) l
    )
    SELECT
      (SELECT coalesce(json_agg(k), '[]') FROM (
         SELECT k.tenant_id, k.kind, k.member_id, k.key
           FROM scope s CROSS JOIN LATERAL (SELECT * FROM unified_link_keys k
             WHERE k.tenant_id = s.tenant_id AND k.kind = s.kind AND k.member_id = s.id OFFSET 0) k) k) AS keys,
      (SELECT coalesce(json_agg(d), '[]') FROM (
         SELECT DISTINCT d.tenant_id, d.kind, d.member_id, d.decision, d.target_member_id, d.decided_at
           FROM scope s CROSS JOIN LATERAL (SELECT * FROM unified_decisions d
             WHERE d.tenant_id = s.tenant_id AND d.kind = s.kind AND d.member_id = s.id
             UNION ALL
             SELECT * FROM unified_decisions d
             WHERE d.tenant_id = s.tenant_id AND d.kind = s.kind AND d.target_member_id = s.id) d) d) AS decisions,
      (SELECT coalesce(json_agg(l), '[]') FROM links l) AS links,
      (SELECT coalesce(json_agg(u), '[]') FROM (
         SELECT u.tenant_id, u.kind, u.id, u.version, u.document, u.members
           FROM (SELECT DISTINCT tenant_id, kind, unified_id FROM links) g
           CROSS JOIN LATERAL (SELECT * FROM unified_records u
             WHERE u.tenant_id = g.tenant_id AND u.kind = g.kind AND u.id = g.unified_id OFFSET 0) u) u) AS heads`);

/** Every query of unified records; tenant first, set-based over (tenant, kind, member) triples. */
@Injectable()
export class UnifiedRepository {
  /**
   * Serialises the engine per tenant until the transaction ends: two batches (or a batch and a
   * command) that touch one group would otherwise each compute it from a state without the
   * other's records. One statement; the locks are taken in the order of their keys (a tenant's
   * hash), so two batches never wait on each other in a cycle, even where two tenants' hashes meet.
   */
  async lockTenants(manager: EntityManager, tenantIds: string[]): Promise<void> {
    if (tenantIds.length === 0) return;
    await execute(
      manager,
      defineQuery(`SELECT pg_advisory_xact_lock($1, h)
        FROM (SELECT DISTINCT hashtext(t) AS h FROM unnest($2::text[]) AS t ORDER BY h) AS ordered`),
      [UNIFIED_LOCK_SPACE, tenantIds],
    );
  }

  /**
   * Brings the planner's statistics of the engine's tables up to date (see UnifiedStatistics). In
   * a rebuild's transaction it counts that transaction's own rows, which no other session sees.
   */
  async analyse(manager: EntityManager): Promise<void> {
    await execute(
      manager,
      defineQuery('ANALYZE unified_link_keys, unified_links, unified_decisions, unified_records'),
    );
  }

  /** Each tenant's rules; the defaults for a tenant without a row. */
  async rulesOf(db: Queryable, tenantIds: string[]): Promise<Map<string, LinkingRules>> {
    const rows = await rowsOf(
      db,
      defineQuery<{ tenant_id: string; rules: unknown }>(
        'SELECT tenant_id, rules FROM linking_rules WHERE tenant_id = ANY($1::uuid[])',
      ),
      [tenantIds],
    );
    const stored = new Map(rows.map((row) => [row.tenant_id, row.rules]));
    return new Map(tenantIds.map((id) => [id, storedLinkingRules(stored.get(id))]));
  }

  /** The tenant's rules as stored (null: it has none, the defaults apply) and when they were set. */
  async storedRules(
    db: Queryable,
    tenantId: string,
  ): Promise<{ rules: LinkingRules; updated_at: Date } | null> {
    const rows = await rowsOf(
      db,
      defineQuery<{ rules: LinkingRules; updated_at: Date }>(
        'SELECT rules, updated_at FROM linking_rules WHERE tenant_id = $1',
      ),
      [tenantId],
    );
    return rows[0] ?? null;
  }

  /** Replaces the tenant's rules (validated by the caller with parseLinkingRules). */
  async saveRules(manager: EntityManager, tenantId: string, rules: LinkingRules): Promise<void> {
    await execute(
      manager,
      defineQuery(`INSERT INTO linking_rules (tenant_id, rules) VALUES ($1, $2::jsonb)
        ON CONFLICT (tenant_id) DO UPDATE SET rules = EXCLUDED.rules, updated_at = now()`),
      [tenantId, JSON.stringify(rules)],
    );
  }

  /** Records the record's manual decision; the latest one replaces any earlier. */
  async saveDecision(
    manager: EntityManager,
    ref: MemberRef,
    decision: Decision,
    targetMemberId: string | null,
  ): Promise<void> {
    await execute(
      manager,
      defineQuery(`INSERT INTO unified_decisions (tenant_id, kind, member_id, decision, target_member_id)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (tenant_id, kind, member_id) DO UPDATE SET decision = EXCLUDED.decision,
          target_member_id = EXCLUDED.target_member_id, decided_at = now()`),
      [ref.tenantId, ref.kind, ref.id, decision, targetMemberId],
    );
  }

  /** The provider records that exist of these, with what the merge reads. */
  async members(manager: Queryable, refs: MemberRef[]): Promise<MemberRow[]> {
    const rows: MemberRow[] = [];
    for (const kind of ['customer', 'project'] as const) {
      const ofKind = refs.filter((ref) => ref.kind === kind);
      if (ofKind.length === 0) continue;
      rows.push(
        ...(await rowsOf(
          manager,
          defineQuery<MemberRow>(`SELECT e.tenant_id, '${kind}' AS kind, e.id, e.provider, e.document, e.version,
              e.sources, coalesce(e.provider_updated_at, e.event_time) AS time
            FROM ${ENTITY_TABLES[kind]} e
            JOIN unnest($1::uuid[], $2::text[]) AS r(tenant_id, id) ON e.tenant_id = r.tenant_id AND e.id = r.id`),
          [ofKind.map((ref) => ref.tenantId), ofKind.map((ref) => ref.id)],
        )),
      );
    }
    return rows;
  }

  /** Every record of the tenant's kind: what a re-evaluation recomputes. */
  async allMembers(manager: Queryable, tenantId: string, kind: UnifiedKind): Promise<MemberRow[]> {
    return rowsOf(
      manager,
      defineQuery<MemberRow>(`SELECT tenant_id, '${kind}' AS kind, id, provider, document, version, sources,
          coalesce(provider_updated_at, event_time) AS time
        FROM ${ENTITY_TABLES[kind]} WHERE tenant_id = $1`),
      [tenantId],
    );
  }

  /**
   * Makes `keys` these records' whole set of match keys (none for a record without any): removes
   * the others and adds the missing, in one statement. A key already stored is left alone (the
   * insert's conflict check finds it), so records whose keys did not change write nothing.
   */
  async replaceKeys(manager: EntityManager, refs: MemberRef[], keys: KeyRow[]): Promise<void> {
    if (refs.length === 0) return;
    await execute(
      manager,
      defineQuery(`WITH wanted AS (
          SELECT * FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[]) AS w(tenant_id, kind, member_id, key)
        ), removed AS (
          DELETE FROM unified_link_keys k USING unnest($1::uuid[], $2::text[], $3::text[]) AS r(tenant_id, kind, id)
           WHERE k.tenant_id = r.tenant_id AND k.kind = r.kind AND k.member_id = r.id
             AND NOT EXISTS (SELECT FROM wanted w WHERE w.tenant_id = k.tenant_id AND w.kind = k.kind
               AND w.member_id = k.member_id AND w.key = k.key)
        )
        INSERT INTO unified_link_keys (tenant_id, kind, member_id, key)
        SELECT * FROM wanted ON CONFLICT DO NOTHING`),
      [
        ...columnsOf(refs),
        keys.map((k) => k.tenant_id),
        keys.map((k) => k.kind),
        keys.map((k) => k.member_id),
        keys.map((k) => k.key),
      ],
    );
  }

  /**
   * Every record whose group these records' changes can alter, the seeds included: those sharing
   * a match key with them, in the same unified record now, or tied by a manual decision either
   * way, then the same from each record found, until nothing new comes. One statement: a
   * recursive CTE whose UNION drops what it found already, so each record (seeds given twice too)
   * comes back and is expanded once.
   */
  async reachable(manager: Queryable, seeds: MemberRef[]): Promise<MemberRef[]> {
    if (seeds.length === 0) return [];
    const rows = await rowsOf(
      manager,
      // LATERAL: one index lookup per record and relation. As plain joins, the planner hashed
      // whole tables once they grew, and this query was most of the engine's cost.
      defineQuery<{ tenant_id: string; kind: UnifiedKind; id: string }>(`
        WITH RECURSIVE found(tenant_id, kind, id) AS (
          SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])
          UNION
          SELECT r.tenant_id, r.kind, n.id
            FROM found AS r
            CROSS JOIN LATERAL (
              SELECT other.member_id AS id FROM unified_link_keys own
                JOIN unified_link_keys other ON other.tenant_id = own.tenant_id AND other.kind = own.kind
                  AND other.key = own.key
               WHERE own.tenant_id = r.tenant_id AND own.kind = r.kind AND own.member_id = r.id
              UNION ALL
              SELECT other.member_id FROM unified_links own
                JOIN unified_links other ON other.tenant_id = own.tenant_id AND other.kind = own.kind
                  AND other.unified_id = own.unified_id
               WHERE own.tenant_id = r.tenant_id AND own.kind = r.kind AND own.member_id = r.id
              UNION ALL
              -- via_customer: projects naming a customer of the same unified customer as this one's.
              SELECT other.member_id FROM unified_link_keys own
                JOIN unified_links customer ON customer.tenant_id = own.tenant_id AND customer.kind = 'customer'
                  AND customer.member_id = substr(own.key, ${CUSTOMER_KEY.length + 1})
                JOIN unified_links sibling ON sibling.tenant_id = customer.tenant_id AND sibling.kind = 'customer'
                  AND sibling.unified_id = customer.unified_id
                JOIN unified_link_keys other ON other.tenant_id = own.tenant_id AND other.kind = own.kind
                  AND other.key = '${CUSTOMER_KEY}' || sibling.member_id
               WHERE own.tenant_id = r.tenant_id AND own.kind = r.kind AND own.member_id = r.id
                 AND r.kind = 'project' AND own.key LIKE '${CUSTOMER_KEY}%'
              UNION ALL
              SELECT d.target_member_id FROM unified_decisions d
               WHERE d.tenant_id = r.tenant_id AND d.kind = r.kind AND d.member_id = r.id AND d.decision = 'link'
              UNION ALL
              SELECT d.member_id FROM unified_decisions d
               WHERE d.tenant_id = r.tenant_id AND d.kind = r.kind AND d.target_member_id = r.id
                 AND d.decision = 'link'
            ) AS n
           WHERE n.id IS NOT NULL
        )
        SELECT tenant_id, kind, id FROM found`),
      columnsOf(seeds),
    );
    return rows.map((row) => ({ tenantId: row.tenant_id, kind: row.kind, id: row.id }));
  }

  /**
   * What a recomputation reads about these records, a scope no edge leaves (`reachable`'s, or a
   * whole tenant's kind): one statement where it took four round trips.
   */
  async scopeState(manager: Queryable, scope: MemberRef[]): Promise<ScopeState> {
    if (scope.length === 0) return { scope: [], keys: [], decisions: [], links: [], heads: [] };
    const [row] = await rowsOf(manager, SCOPE_STATE, columnsOf(scope));
    if (!row) throw new Error('the scope state query returned no row');
    return {
      scope,
      keys: row.keys,
      // json_agg gives the time as text; the row type says Date, as the table's column reads.
      decisions: row.decisions.map((d) => ({ ...d, decided_at: new Date(d.decided_at) })),
      links: row.links,
      heads: row.heads,
    };
  }

  /** The records holding any of these keys (`MemberRef.id` is the key here). */
  async holdersOf(manager: Queryable, keys: MemberRef[]): Promise<MemberRef[]> {
    if (keys.length === 0) return [];
    const rows = await rowsOf(
      manager,
      defineQuery<{ tenant_id: string; kind: UnifiedKind; member_id: string }>(`
        SELECT DISTINCT k.tenant_id, k.kind, k.member_id
          FROM unnest($1::uuid[], $2::text[], $3::text[]) AS r(tenant_id, kind, key)
          CROSS JOIN LATERAL (SELECT tenant_id, kind, member_id FROM unified_link_keys
            WHERE tenant_id = r.tenant_id AND kind = r.kind AND key = r.key) AS k`),
      columnsOf(keys),
    );
    return rows.map((row) => ({ tenantId: row.tenant_id, kind: row.kind, id: row.member_id }));
  }

  /** The current links of these records. */
  async linksOf(manager: Queryable, refs: MemberRef[]): Promise<LinkRow[]> {
    if (refs.length === 0) return [];
    return rowsOf(
      manager,
      defineQuery<LinkRow>(`SELECT l.tenant_id, l.kind, l.member_id, l.unified_id, l.linked_by, l.reason
        FROM unified_links l JOIN unnest($1::uuid[], $2::text[], $3::text[]) AS r(tenant_id, kind, id)
          ON l.tenant_id = r.tenant_id AND l.kind = r.kind AND l.member_id = r.id`),
      columnsOf(refs),
    );
  }

  async saveLinks(manager: EntityManager, links: LinkRow[]): Promise<void> {
    if (links.length === 0) return;
    await execute(
      manager,
      defineQuery(`INSERT INTO unified_links (tenant_id, kind, member_id, unified_id, linked_by, reason)
        SELECT l.tenant_id, l.kind, l.member_id, l.unified_id, l.linked_by, l.reason
          FROM jsonb_to_recordset($1::jsonb) AS l(tenant_id uuid, kind text, member_id text, unified_id text,
            linked_by text, reason jsonb)
        ON CONFLICT (tenant_id, kind, member_id) DO UPDATE SET unified_id = EXCLUDED.unified_id,
          linked_by = EXCLUDED.linked_by, reason = EXCLUDED.reason`),
      [JSON.stringify(links)],
    );
  }

  /** The unified records of these ids (`MemberRef.id` is the unified id here). */
  async unifiedRecords(manager: Queryable, ids: MemberRef[]): Promise<UnifiedRecordRow[]> {
    if (ids.length === 0) return [];
    return rowsOf(
      manager,
      defineQuery<UnifiedRecordRow>(`SELECT u.tenant_id, u.kind, u.id, u.version, u.document, u.provenance,
          u.conflicts, u.members, u.providers, u.sources, u.created_at, u.updated_at
        FROM unified_records u JOIN unnest($1::uuid[], $2::text[], $3::text[]) AS r(tenant_id, kind, id)
          ON u.tenant_id = r.tenant_id AND u.kind = r.kind AND u.id = r.id`),
      columnsOf(ids),
    );
  }

  /** The version, document and members of these unified records (`MemberRef.id`: unified id). */
  async unifiedRecordHeads(manager: Queryable, ids: MemberRef[]): Promise<UnifiedRecordHead[]> {
    if (ids.length === 0) return [];
    return rowsOf(
      manager,
      defineQuery<UnifiedRecordHead>(`SELECT u.tenant_id, u.kind, u.id, u.version, u.document, u.members
        FROM unified_records u JOIN unnest($1::uuid[], $2::text[], $3::text[]) AS r(tenant_id, kind, id)
          ON u.tenant_id = r.tenant_id AND u.kind = r.kind AND u.id = r.id`),
      columnsOf(ids),
    );
  }

  /**
   * A multi-row INSERT with one parameter per value, each JSON document its own text (as
   * saveEntities, ADR 0008): cheaper for Postgres than one JSON array taken apart by
   * json_to_recordset.
   */
  async saveUnifiedRecords(manager: EntityManager, writes: UnifiedRecordWrite[]): Promise<void> {
    const now = new Date().toISOString();
    for (const chunk of chunksForParameters(writes, RECORD_COLUMNS)) {
      await execute(
        manager,
        defineQuery(`INSERT INTO unified_records (tenant_id, kind, id, version, document, provenance, conflicts, members,
            providers, sources, status, email, stage, reference_number, search_text, created_at, updated_at)
          VALUES ${valuesList(chunk.length, RECORD_COLUMNS)}
          ON CONFLICT (tenant_id, kind, id) DO UPDATE SET version = EXCLUDED.version, document = EXCLUDED.document,
            provenance = EXCLUDED.provenance, conflicts = EXCLUDED.conflicts, members = EXCLUDED.members,
            providers = EXCLUDED.providers, sources = EXCLUDED.sources, status = EXCLUDED.status,
            email = EXCLUDED.email, stage = EXCLUDED.stage, reference_number = EXCLUDED.reference_number,
            search_text = EXCLUDED.search_text, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at`),
        chunk.flatMap((w) => [
          w.tenantId,
          w.kind,
          w.id,
          w.version,
          JSON.stringify(w.document),
          JSON.stringify(w.provenance),
          JSON.stringify(w.conflicts),
          w.members,
          w.providers,
          w.sources,
          // Text columns cannot hold \u0000 (json documents can).
          withoutNul(w.status),
          withoutNul(w.email),
          withoutNul(w.stage),
          withoutNul(w.reference_number),
          withoutNul(w.searchText),
          w.createdAt ?? now,
          w.updatedAt ?? now,
        ]),
      );
    }
  }

  /** Removes unified records no group has any more (absorbed by a merge, or split apart). */
  async deleteUnifiedRecords(manager: EntityManager, ids: MemberRef[]): Promise<void> {
    if (ids.length === 0) return;
    await execute(
      manager,
      defineQuery(`DELETE FROM unified_records u USING unnest($1::uuid[], $2::text[], $3::text[]) AS r(tenant_id, kind, id)
        WHERE u.tenant_id = r.tenant_id AND u.kind = r.kind AND u.id = r.id`),
      columnsOf(ids),
    );
  }
}

function withoutNul<T extends string | null>(text: T): T {
  return (text === null ? null : text.replaceAll('\u0000', '')) as T;
}

function columnsOf(refs: MemberRef[]): [string[], string[], string[]] {
  return [refs.map((r) => r.tenantId), refs.map((r) => r.kind), refs.map((r) => r.id)];
}
