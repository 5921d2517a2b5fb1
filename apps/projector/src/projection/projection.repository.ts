import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export type EntityType = 'project' | 'customer' | 'monitor';

export const TABLES: Record<EntityType, { table: string; columns: string[] }> = {
  project: { table: 'projects', columns: ['stage', 'reference_number'] },
  customer: { table: 'customers', columns: ['status', 'email'] },
  monitor: { table: 'monitors', columns: ['kind', 'status'] },
};

export interface StoredEntity {
  document: Record<string, unknown>;
  version: number;
  provider_updated_at: Date | null;
  sources: string[];
}

export interface EntityWrite {
  tenantId: string;
  type: EntityType;
  id: string;
  provider: string;
  sources: string[];
  document: Record<string, unknown>;
  version: number;
  typed: Record<string, string | null>;
  providerUpdatedAt: string | null;
}

/** Every write of the projection, inside the handler's transaction; tenant first. */
@Injectable()
export class ProjectionRepository {
  /** True the first time this event is seen for the tenant; false for a redelivery. */
  async markApplied(manager: EntityManager, tenantId: string, eventId: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO applied_events (tenant_id, event_id) VALUES ($1, $2)
       ON CONFLICT DO NOTHING RETURNING event_id`,
      [tenantId, eventId],
    );
    return rows.length === 1;
  }

  /** The current row, locked until the transaction ends. */
  async lockEntity(
    manager: EntityManager,
    tenantId: string,
    type: EntityType,
    id: string,
  ): Promise<StoredEntity | null> {
    const rows: StoredEntity[] = await manager.query(
      `SELECT document, version, provider_updated_at, sources FROM ${TABLES[type].table}
        WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
      [tenantId, id],
    );
    return rows[0] ?? null;
  }

  async saveEntity(manager: EntityManager, write: EntityWrite): Promise<void> {
    const { table, columns } = TABLES[write.type];
    const typedValues = columns.map((column) => write.typed[column] ?? null);
    const placeholders = columns.map((_, i) => `$${i + 9}`);
    await manager.query(
      `INSERT INTO ${table} (tenant_id, id, provider, sources, document, version, provider_updated_at, updated_at, ${columns.join(', ')})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ${placeholders.join(', ')})
       ON CONFLICT (tenant_id, id) DO UPDATE SET sources = EXCLUDED.sources, document = EXCLUDED.document,
         version = EXCLUDED.version, provider_updated_at = EXCLUDED.provider_updated_at, updated_at = EXCLUDED.updated_at,
         ${columns.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`,
      [
        write.tenantId,
        write.id,
        write.provider,
        write.sources,
        JSON.stringify(write.document),
        write.version,
        write.providerUpdatedAt,
        new Date().toISOString(),
        ...typedValues,
      ],
    );
  }

  async addHistory(
    manager: EntityManager,
    entry: {
      tenantId: string;
      type: EntityType;
      id: string;
      version: number;
      eventId: string;
      eventType: string;
      paths: string[];
      document: Record<string, unknown>;
    },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO entity_history (tenant_id, entity_type, entity_id, version, event_id, event_type, changed_paths, document)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        entry.tenantId,
        entry.type,
        entry.id,
        entry.version,
        entry.eventId,
        entry.eventType,
        entry.paths,
        JSON.stringify(entry.document),
      ],
    );
  }

  async addActivity(
    manager: EntityManager,
    entry: {
      tenantId: string;
      type: EntityType;
      id: string;
      eventId: string;
      eventType: string;
      time: string;
      data: Record<string, unknown>;
    },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO activities (tenant_id, entity_type, entity_id, event_id, type, occurred_at, data)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [
        entry.tenantId,
        entry.type,
        entry.id,
        entry.eventId,
        entry.eventType,
        entry.time,
        JSON.stringify(entry.data),
      ],
    );
  }
}
