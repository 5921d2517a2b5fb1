import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { chunksForParameters, defineQuery, execute, rowsOf, valuesList } from '@hub/persistence';
import type { DocumentPatch } from './change-detection.js';

export type EntityType = 'project' | 'customer' | 'monitor';

export const TABLES: Record<EntityType, { table: string; columns: [string, string] }> = {
  project: { table: 'projects', columns: ['stage', 'reference_number'] },
  customer: { table: 'customers', columns: ['status', 'email'] },
  monitor: { table: 'monitors', columns: ['kind', 'status'] },
};

export const ENTITY_TYPES = Object.keys(TABLES) as EntityType[];

export interface StoredEntity {
  document: Record<string, unknown>;
  version: number;
  provider_updated_at: string | Date | null;
  /** The time of the canonical event that last changed it (null: written before it was kept). */
  event_time: string | Date | null;
  sources: string[];
}

export interface EntityRef {
  tenantId: string;
  id: string;
}

export interface EntityWrite extends EntityRef {
  provider: string;
  sources: string[];
  document: Record<string, unknown>;
  /** JSON.stringify(document), made once for the entity row and the state change. */
  documentJson: string;
  version: number;
  typed: Record<string, string | null>;
  providerUpdatedAt: string | null;
  /** The time of the canonical event that made this version: what unified records order by. */
  eventTime: string | null;
}

export interface HistoryRow extends EntityRef {
  type: EntityType;
  version: number;
  eventId: string;
  eventType: string;
  paths: string[];
  /** The whole document where the version has no predecessor; otherwise what changed. */
  change: { document: Record<string, unknown> } | { patch: DocumentPatch };
}

export interface ActivityRow extends EntityRef {
  type: EntityType;
  eventId: string;
  eventType: string;
  time: string;
  data: Record<string, unknown>;
}

export const refKey = (ref: EntityRef) => `${ref.tenantId}/${ref.id}`;

/** Values per row of saveEntities's INSERT. */
const ENTITY_COLUMNS = 10;

/**
 * Every write of the projection, inside the handler's transaction; tenant first. Set-based: a
 * batch of events costs a handful of statements, not a few per event.
 */
@Injectable()
export class ProjectionRepository {
  /** Of these events, the ones never applied before (`tenant/event id`); records them as applied. */
  async markApplied(
    manager: EntityManager,
    events: Array<{ tenant: string; id: string }>,
  ): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    const rows = await rowsOf(
      manager,
      defineQuery<{ tenant_id: string; event_id: string }>(`INSERT INTO applied_events (tenant_id, event_id)
       SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT DO NOTHING RETURNING tenant_id, event_id`),
      [events.map((e) => e.tenant), events.map((e) => e.id)],
    );
    return new Set(rows.map((row) => `${row.tenant_id}/${row.event_id}`));
  }

  /** The current rows of these entities, locked until the transaction ends. */
  async lockEntities(
    manager: EntityManager,
    type: EntityType,
    refs: EntityRef[],
  ): Promise<Map<string, StoredEntity>> {
    if (refs.length === 0) return new Map();
    const rows = await rowsOf(
      manager,
      defineQuery<StoredEntity & { tenant_id: string; id: string }>(
        `SELECT tenant_id, id, document, version, provider_updated_at, event_time, sources FROM ${TABLES[type].table}
          WHERE (tenant_id, id) IN (SELECT * FROM unnest($1::uuid[], $2::text[]))
          ORDER BY tenant_id, id FOR UPDATE`,
      ),
      [refs.map((r) => r.tenantId), refs.map((r) => r.id)],
    );
    return new Map(rows.map((row) => [refKey({ tenantId: row.tenant_id, id: row.id }), row]));
  }

  /**
   * One parameter per value: each document goes to Postgres as its own JSON text, stored as
   * written in a `json` column (DocumentsAsJson1732262400220), so Postgres only checks it.
   */
  async saveEntities(manager: EntityManager, type: EntityType, writes: EntityWrite[]): Promise<void> {
    const { table, columns } = TABLES[type];
    const [first, second] = columns;
    for (const chunk of chunksForParameters(writes, ENTITY_COLUMNS)) {
      await execute(
        manager,
        defineQuery(`INSERT INTO ${table} (tenant_id, id, provider, sources, document, version, provider_updated_at, event_time, ${first}, ${second})
         VALUES ${valuesList(chunk.length, ENTITY_COLUMNS)}
         ON CONFLICT (tenant_id, id) DO UPDATE SET sources = EXCLUDED.sources, document = EXCLUDED.document,
           version = EXCLUDED.version, provider_updated_at = EXCLUDED.provider_updated_at, event_time = EXCLUDED.event_time,
           updated_at = now(),
           ${first} = EXCLUDED.${first}, ${second} = EXCLUDED.${second}`),
        chunk.flatMap((w) => [
          w.tenantId,
          w.id,
          w.provider,
          w.sources,
          w.documentJson,
          w.version,
          w.providerUpdatedAt,
          w.eventTime,
          w.typed[first] ?? null,
          w.typed[second] ?? null,
        ]),
      );
    }
  }

  async addHistory(manager: EntityManager, rows: HistoryRow[]): Promise<void> {
    if (rows.length === 0) return;
    const history = rows.map((r) => ({
      tenant_id: r.tenantId,
      entity_type: r.type,
      entity_id: r.id,
      version: r.version,
      event_id: r.eventId,
      event_type: r.eventType,
      changed_paths: r.paths,
      ...('document' in r.change
        ? { document: r.change.document }
        : { patch_set: r.change.patch.set, patch_unset: r.change.patch.unset }),
    }));
    await execute(
      manager,
      defineQuery(`INSERT INTO entity_history (tenant_id, entity_type, entity_id, version, event_id, event_type, changed_paths,
                                   document, patch_set, patch_unset)
       SELECT h.tenant_id, h.entity_type, h.entity_id, h.version, h.event_id, h.event_type, h.changed_paths,
              h.document, h.patch_set, h.patch_unset
         FROM jsonb_to_recordset($1::jsonb)
           AS h(tenant_id uuid, entity_type text, entity_id text, version int, event_id text, event_type text,
                changed_paths text[], document jsonb, patch_set jsonb, patch_unset text[])`),
      [jsonRows(history)],
    );
  }

  async addActivities(manager: EntityManager, rows: ActivityRow[]): Promise<void> {
    if (rows.length === 0) return;
    const activities = rows.map((r) => ({
      tenant_id: r.tenantId,
      entity_type: r.type,
      entity_id: r.id,
      event_id: r.eventId,
      type: r.eventType,
      occurred_at: r.time,
      data: r.data,
    }));
    await execute(
      manager,
      defineQuery(`INSERT INTO activities (tenant_id, entity_type, entity_id, event_id, type, occurred_at, data)
       SELECT a.tenant_id, a.entity_type, a.entity_id, a.event_id, a.type, a.occurred_at, a.data
         FROM jsonb_to_recordset($1::jsonb)
           AS a(tenant_id uuid, entity_type text, entity_id text, event_id text, type text,
                occurred_at timestamptz, data jsonb)
       ON CONFLICT DO NOTHING`),
      [jsonRows(activities)],
    );
  }

  /** Every live batch holds the rebuild lock shared: batches run side by side, never during a rebuild. */
  async holdRebuildLockShared(manager: EntityManager): Promise<void> {
    await execute(manager, defineQuery('SELECT pg_advisory_xact_lock_shared($1)'), [REBUILD_LOCK]);
  }

  /** A rebuild holds it exclusively: it waits for the batches in flight, and later ones wait for it. */
  async holdRebuildLockExclusive(manager: EntityManager): Promise<void> {
    await execute(manager, defineQuery('SELECT pg_advisory_xact_lock($1)'), [REBUILD_LOCK]);
  }

  /** Of these tenant ids, the ones this database has a tenant for, spelt as given. */
  async knownTenants(manager: EntityManager, tenantIds: string[]): Promise<Set<string>> {
    if (tenantIds.length === 0) return new Set();
    const rows = await rowsOf(
      manager,
      defineQuery<{ id: string }>(
        'SELECT given AS id FROM unnest($1::text[]) AS given WHERE given::uuid IN (SELECT id FROM tenants)',
      ),
      [tenantIds],
    );
    return new Set(rows.map((row) => row.id));
  }
}

/** The advisory lock between live batches (shared) and a rebuild (exclusive), until the commit. */
const REBUILD_LOCK = 7_220_512_001;

/**
 * A batch's rows as one JSON array for jsonb_to_recordset. Sending documents as one jsonb[]
 * element each made node-postgres escape every quote of every document into an array literal,
 * the projector's largest cost after validation; one JSON text is serialised in a single pass.
 */
function jsonRows(rows: object[]): string {
  return JSON.stringify(rows);
}
