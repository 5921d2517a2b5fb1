import { Injectable } from '@nestjs/common';
import { deterministicEventId, SPEC_VERSION } from '@hub/contracts';
import { CURSOR_POSITION, decodeCursor, pageLimitOf, pageOf, type Page } from '@hub/runtime';
import { ChangesRepository, type ChangeKey, type ChangeRow } from './changes.repository.js';
import type { ChangesQuery } from './changes.query.js';
import type { StateChangeView } from './changes.view.js';

/** The cursor's parts: applied_at to the microsecond (CURSOR_POSITION), entity type, entity id, version. */
const ENTITY_TYPE = /^(project|customer|monitor)$/;
const ENTITY_ID = /^[a-z-]+:[\s\S]{1,1000}$/;
const VERSION = /^\d{1,9}$/;

@Injectable()
export class ChangesService {
  constructor(private readonly changes: ChangesRepository) {}

  /** The tenant's state changes, newest first, each as the message the projector published. */
  async recent(tenantId: string, query: ChangesQuery): Promise<Page<StateChangeView>> {
    const limit = pageLimitOf(query);
    const rows = await this.changes.recent(
      tenantId,
      {
        ...(query.entity_type ? { entityType: query.entity_type } : {}),
        ...(query.since ? { since: query.since } : {}),
      },
      limit + 1,
      query.cursor ? keyOf(query.cursor) : undefined,
    );
    return pageOf(
      rows,
      limit,
      (row) => [row.position, row.entity_type, row.entity_id, String(row.version)],
      (row) => toStateChange(tenantId, row),
    );
  }
}

function keyOf(cursor: string): ChangeKey {
  const [position, entityType, entityId, version] = decodeCursor(cursor, [
    CURSOR_POSITION,
    ENTITY_TYPE,
    ENTITY_ID,
    VERSION,
  ]);
  return { position: position!, entityType: entityType!, entityId: entityId!, version: Number(version) };
}

/**
 * The message as ProjectionService built it when it applied this version: the same id, type,
 * envelope and data, members in the same order. Only `time` differs: the cause's time is not
 * kept, so it is when the version was applied.
 */
function toStateChange(tenant: string, row: ChangeRow): StateChangeView {
  const type = row.entity_type;
  return {
    specversion: SPEC_VERSION,
    source: `/tenants/${tenant}`,
    subject: row.entity_id,
    time: row.applied_at.toISOString(),
    datacontenttype: 'application/json',
    tenant,
    // An entity id is `<provider>:<id at the provider>` (canonicalEntityId).
    provider: row.entity_id.slice(0, row.entity_id.indexOf(':')),
    id: deterministicEventId([tenant, type, row.entity_id, String(row.version), row.event_id]),
    type: `${type}.${row.version === 1 ? 'created' : 'updated'}`,
    data: {
      entity_type: type,
      entity_id: row.entity_id,
      version: row.version,
      changed_fields: row.changed_paths,
      caused_by: row.event_id,
      document: row.document,
    },
  };
}
