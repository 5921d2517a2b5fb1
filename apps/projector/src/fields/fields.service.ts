import { Injectable } from '@nestjs/common';
import { decodeCursor, pageLimitOf, pageOf, type Page } from '@hub/runtime';
import { ENTITY_TYPES } from '../projection/projection.repository.js';
import type { FieldsQuery } from './fields.query.js';
import { FieldsRepository, type FieldRow } from './fields.repository.js';
import type { FieldView } from './fields.view.js';

/** A path of the grammar (field-paths.ts), as the cursor carries the page's last one. */
const PATH = /^(project|customer|monitor)(\.[A-Za-z0-9_-]{1,100}){1,11}$/;

@Injectable()
export class FieldsService {
  constructor(private readonly fields: FieldsRepository) {}

  async seen(tenantId: string, query: FieldsQuery): Promise<Page<FieldView>> {
    const limit = pageLimitOf(query);
    const rows = await this.fields.seen(
      tenantId,
      query.entity_type ? [query.entity_type] : ENTITY_TYPES,
      limit + 1,
      query.cursor ? decodeCursor(query.cursor, [PATH])[0] : undefined,
    );
    return pageOf(rows, limit, (row) => [row.path], toView);
  }
}

function toView(row: FieldRow): FieldView {
  return { entity_type: row.entity_type, path: row.path, types: row.types, documents: row.documents };
}
