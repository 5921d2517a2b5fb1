import { Injectable, NotFoundException } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { decodeCursor, pageLimitOf, pageOf, type Page } from '@hub/runtime';
import { listFiltersOf, type ListQuery } from '../read-models/read-model.query.js';
import type { UnifiedKind } from './linking-rules.js';
import type { FieldProvenance } from './merge.js';
import {
  UNIFIED_ID,
  UnifiedRecordsRepository,
  type UnifiedRecordListRow,
} from './unified-records.repository.js';
import type { ProvenanceView, UnifiedRecordView } from './unified-records.view.js';

/** Reads of the unified records: the lists, and one by its id or a member's. */
@Injectable()
export class UnifiedRecordsService {
  constructor(private readonly records: UnifiedRecordsRepository) {}

  async list(
    tenantId: string,
    kind: UnifiedKind,
    query: ListQuery,
    columns: Record<string, string | undefined>,
  ): Promise<Page<UnifiedRecordView>> {
    const limit = pageLimitOf(query);
    const rows = await this.records.list(
      tenantId,
      kind,
      listFiltersOf(query, columns),
      limit + 1,
      query.cursor ? decodeCursor(query.cursor, [UNIFIED_ID])[0] : undefined,
    );
    return pageOf(rows, limit, (row) => [row.id], toUnifiedView);
  }

  /** By a unified id or a member record's id; a 404 when the tenant has neither. */
  async get(tenantId: string, kind: UnifiedKind, id: string): Promise<UnifiedRecordView> {
    return toUnifiedView(await this.row(tenantId, kind, id));
  }

  /** The row `get` answers; in `db` (a command's transaction) when given. */
  async row(
    tenantId: string,
    kind: UnifiedKind,
    id: string,
    db: DataSource | EntityManager | null = null,
  ): Promise<UnifiedRecordListRow> {
    const row = await this.records.find(db, tenantId, kind, id);
    if (!row) throw new NotFoundException(`no unified ${kind} ${id}`);
    return row;
  }
}

export function toUnifiedView(row: UnifiedRecordListRow): UnifiedRecordView {
  return {
    id: row.id,
    version: row.version,
    members: row.member_links.map((member) => ({
      record: member.record,
      provider: providerOf(member.record),
      linked_by: member.linked_by ?? 'self',
      reason: member.reason ?? null,
    })),
    document: row.document,
    provenance: Object.fromEntries(
      Object.entries(row.provenance ?? {}).map(([field, from]) => [field, toProvenance(from)]),
    ),
    conflicts: row.conflicts ?? [],
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** A record id is `<provider>:<id at the provider>` (canonicalEntityId). */
function providerOf(record: string): string {
  return record.slice(0, record.indexOf(':'));
}

/** As the merge wrote it, the source by its id (src_…) as every API names sources. */
function toProvenance(from: FieldProvenance): ProvenanceView {
  return { ...from, source: from.source?.replace(/^\/sources\//, '') ?? null };
}
