import { Injectable, NotFoundException } from '@nestjs/common';
import { CURSOR_POSITION, decodeCursor, pageLimitOf, pageOf, type Page, type PageQuery } from '@hub/runtime';
import type { EntityType } from '../projection/projection.repository.js';
import { listFiltersOf, type ListQuery } from './read-model.query.js';
import {
  ReadModelRepository,
  type ActivityEntryRow,
  type EntityRow,
  type HistoryVersionRow,
} from './read-model.repository.js';
import type { ActivityEntryView, EntityView, HistoryEntryView } from './read-model.view.js';

/** An entity id: `<provider>:<id at the provider>`. */
const ENTITY_ID = /^[a-z-]+:[\s\S]{1,1000}$/;
const VERSION = /^\d{1,9}$/;
const EVENT_ID = /^[\s\S]{1,1000}$/;

@Injectable()
export class ReadModelService {
  constructor(private readonly readModels: ReadModelRepository) {}

  async list(
    tenantId: string,
    type: EntityType,
    query: ListQuery,
    columns: Record<string, string | undefined>,
  ): Promise<Page<EntityView>> {
    const limit = pageLimitOf(query);
    const rows = await this.readModels.list(
      tenantId,
      type,
      listFiltersOf(query, columns),
      limit + 1,
      query.cursor ? decodeCursor(query.cursor, [ENTITY_ID])[0] : undefined,
    );
    return pageOf(rows, limit, (row) => [row.id], toView);
  }

  async get(tenantId: string, type: EntityType, id: string): Promise<EntityView> {
    const row = await this.readModels.findById(tenantId, type, id);
    if (!row) throw new NotFoundException(`no ${type} ${id}`);
    return toView(row);
  }

  /** Every version, oldest first, each with the whole document as of it. */
  async history(
    tenantId: string,
    type: EntityType,
    id: string,
    query: PageQuery,
  ): Promise<Page<HistoryEntryView>> {
    await this.get(tenantId, type, id);
    const limit = pageLimitOf(query);
    const after = query.cursor ? Number(decodeCursor(query.cursor, [VERSION])[0]) : 0;
    const rows = await this.readModels.history(tenantId, type, id, limit + 1, after);
    return pageOf(rows, limit, (row) => [String(row.version)], toHistoryEntry);
  }

  /** The entity's timeline (emails, SMS, notes…), oldest first. */
  async activity(
    tenantId: string,
    type: EntityType,
    id: string,
    query: PageQuery,
  ): Promise<Page<ActivityEntryView>> {
    const limit = pageLimitOf(query);
    const after = query.cursor ? decodeCursor(query.cursor, [CURSOR_POSITION, EVENT_ID]) : undefined;
    const rows = await this.readModels.activity(
      tenantId,
      type,
      id,
      limit + 1,
      after ? { position: after[0]!, eventId: after[1]! } : undefined,
    );
    // An empty page of an entity that exists, or a 404: the lookup only when there is nothing to show.
    if (rows.length === 0) await this.get(tenantId, type, id);
    return pageOf(rows, limit, (row) => [row.position, row.event_id], toActivityEntry);
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

function toHistoryEntry(row: HistoryVersionRow): HistoryEntryView {
  return {
    version: row.version,
    event_id: row.event_id,
    event_type: row.event_type,
    changed_fields: row.changed_paths,
    applied_at: row.applied_at.toISOString(),
    document: row.document,
  };
}

function toActivityEntry(row: ActivityEntryRow): ActivityEntryView {
  return {
    event_id: row.event_id,
    type: row.type,
    occurred_at: row.occurred_at.toISOString(),
    data: row.data,
  };
}
