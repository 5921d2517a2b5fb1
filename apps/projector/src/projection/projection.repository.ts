import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export type EntityType = 'project' | 'customer' | 'monitor';

export const TABLES: Record<EntityType, { table: string; columns: [string, string] }> = {
  project: { table: 'projects', columns: ['stage', 'reference_number'] },
  customer: { table: 'customers', columns: ['status', 'email'] },
  monitor: { table: 'monitors', columns: ['kind', 'status'] },
};

export interface StoredEntity {
  document: Record<string, unknown>;
  version: number;
  provider_updated_at: string | Date | null;
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
  version: number;
  typed: Record<string, string | null>;
  providerUpdatedAt: string | null;
}

export interface HistoryRow extends EntityRef {
  type: EntityType;
  version: number;
  eventId: string;
  eventType: string;
  paths: string[];
  document: Record<string, unknown>;
}

export interface ActivityRow extends EntityRef {
  type: EntityType;
  eventId: string;
  eventType: string;
  time: string;
  data: Record<string, unknown>;
}

export const refKey = (ref: EntityRef) => `${ref.tenantId}/${ref.id}`;

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
    const rows: Array<{ tenant_id: string; event_id: string }> = await manager.query(
      `INSERT INTO applied_events (tenant_id, event_id)
       SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT DO NOTHING RETURNING tenant_id, event_id`,
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
    const rows: Array<StoredEntity & { tenant_id: string; id: string }> = await manager.query(
      `SELECT tenant_id, id, document, version, provider_updated_at, sources FROM ${TABLES[type].table}
        WHERE (tenant_id, id) IN (SELECT * FROM unnest($1::uuid[], $2::text[]))
        ORDER BY tenant_id, id FOR UPDATE`,
      [refs.map((r) => r.tenantId), refs.map((r) => r.id)],
    );
    return new Map(rows.map((row) => [refKey({ tenantId: row.tenant_id, id: row.id }), row]));
  }

  async saveEntities(manager: EntityManager, type: EntityType, writes: EntityWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const { table, columns } = TABLES[type];
    const [first, second] = columns;
    await manager.query(
      `INSERT INTO ${table} (tenant_id, id, provider, sources, document, version, provider_updated_at, updated_at, ${first}, ${second})
       SELECT w.tenant_id, w.id, w.provider, ARRAY(SELECT jsonb_array_elements_text(w.sources)), w.document,
              w.version, w.provider_updated_at, now(), w.first, w.second
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[], $6::int[], $7::timestamptz[], $8::text[], $9::text[])
           AS w(tenant_id, id, provider, sources, document, version, provider_updated_at, first, second)
       ON CONFLICT (tenant_id, id) DO UPDATE SET sources = EXCLUDED.sources, document = EXCLUDED.document,
         version = EXCLUDED.version, provider_updated_at = EXCLUDED.provider_updated_at, updated_at = EXCLUDED.updated_at,
         ${first} = EXCLUDED.${first}, ${second} = EXCLUDED.${second}`,
      [
        writes.map((w) => w.tenantId),
        writes.map((w) => w.id),
        writes.map((w) => w.provider),
        writes.map((w) => JSON.stringify(w.sources)),
        writes.map((w) => JSON.stringify(w.document)),
        writes.map((w) => w.version),
        writes.map((w) => w.providerUpdatedAt),
        writes.map((w) => w.typed[first] ?? null),
        writes.map((w) => w.typed[second] ?? null),
      ],
    );
  }

  async addHistory(manager: EntityManager, rows: HistoryRow[]): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `INSERT INTO entity_history (tenant_id, entity_type, entity_id, version, event_id, event_type, changed_paths, document)
       SELECT h.tenant_id, h.entity_type, h.entity_id, h.version, h.event_id, h.event_type,
              ARRAY(SELECT jsonb_array_elements_text(h.paths)), h.document
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::jsonb[], $8::jsonb[])
           AS h(tenant_id, entity_type, entity_id, version, event_id, event_type, paths, document)`,
      [
        rows.map((r) => r.tenantId),
        rows.map((r) => r.type),
        rows.map((r) => r.id),
        rows.map((r) => r.version),
        rows.map((r) => r.eventId),
        rows.map((r) => r.eventType),
        rows.map((r) => JSON.stringify(r.paths)),
        rows.map((r) => JSON.stringify(r.document)),
      ],
    );
  }

  async addActivities(manager: EntityManager, rows: ActivityRow[]): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `INSERT INTO activities (tenant_id, entity_type, entity_id, event_id, type, occurred_at, data)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::jsonb[])
       ON CONFLICT DO NOTHING`,
      [
        rows.map((r) => r.tenantId),
        rows.map((r) => r.type),
        rows.map((r) => r.id),
        rows.map((r) => r.eventId),
        rows.map((r) => r.eventType),
        rows.map((r) => r.time),
        rows.map((r) => JSON.stringify(r.data)),
      ],
    );
  }
}
