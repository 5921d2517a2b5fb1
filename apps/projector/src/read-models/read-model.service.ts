import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import type { EntityType } from '../projection/projection.repository.js';
import type { ListQuery } from './read-model.query.js';
import { ReadModelRepository, type EntityRow } from './read-model.repository.js';

const DEFAULT_PAGE = 50;

export interface EntityView {
  id: string;
  version: number;
  provider: string;
  sources: string[];
  created_at: string;
  updated_at: string;
  document: Record<string, unknown>;
}

@Injectable()
export class ReadModelService {
  constructor(private readonly readModels: ReadModelRepository) {}

  async list(
    tenantId: string,
    type: EntityType,
    query: ListQuery,
    columns: Record<string, string | undefined>,
  ): Promise<{ data: EntityView[]; next_cursor: string | null }> {
    const limit = query.limit ?? DEFAULT_PAGE;
    const rows = await this.readModels.list(
      tenantId,
      type,
      {
        ...(query.updated_since ? { updatedSince: query.updated_since } : {}),
        ...(query.provider ? { provider: query.provider } : {}),
        ...(query.source ? { source: query.source } : {}),
        columns: Object.fromEntries(
          Object.entries(columns).filter((entry): entry is [string, string] => !!entry[1]),
        ),
      },
      limit + 1,
      query.cursor ? decodeCursor(query.cursor) : undefined,
    );
    const page = rows.slice(0, limit);
    return {
      data: page.map(toView),
      next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.id) : null,
    };
  }

  async get(tenantId: string, type: EntityType, id: string): Promise<EntityView> {
    const row = await this.readModels.findById(tenantId, type, id);
    if (!row) throw new NotFoundException(`no ${type} ${id}`);
    return toView(row);
  }

  async history(tenantId: string, type: EntityType, id: string) {
    await this.get(tenantId, type, id);
    const entries = await this.readModels.history(tenantId, type, id);
    return {
      data: entries.map((entry) => ({
        version: entry.version,
        event_id: entry.event_id,
        event_type: entry.event_type,
        changed_fields: entry.changed_paths,
        applied_at: entry.applied_at.toISOString(),
        document: entry.document,
      })),
    };
  }

  async activity(tenantId: string, type: EntityType, id: string) {
    const entries = await this.readModels.activity(tenantId, type, id);
    if (entries.length === 0) await this.get(tenantId, type, id);
    return {
      data: entries.map((entry) => ({
        event_id: entry.event_id,
        type: entry.type,
        occurred_at: entry.occurred_at.toISOString(),
        data: entry.data,
      })),
    };
  }
}

function toView(row: EntityRow): EntityView {
  return {
    id: row.id,
    version: row.version,
    provider: row.provider,
    sources: row.sources.map((source) => source.replace(/^\/sources\//, '')),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    document: row.document,
  };
}

/** Opaque to clients: the last id of the page. */
function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  // The id goes to Postgres as text, which cannot hold U+0000: such a cursor was never ours.
  if (!/^[a-z-]+:/.test(id) || id.includes('\u0000'))
    throw new BadRequestException('cursor must be a next_cursor from a previous page');
  return id;
}
