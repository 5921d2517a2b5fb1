import { Injectable } from '@nestjs/common';
import { SourceService } from '../sources/source.service.js';
import { UnmappedRepository, type UnmappedDeliveryRow } from './unmapped.repository.js';

/** Bodies up to this size are kept whole; larger ones as their first EXCERPT_CHARS characters. */
export const WHOLE_BODY_BYTES = 4 * 1024;
const EXCERPT_CHARS = 1024;
const MAX_PAGE = 100;

export interface UnmappedDeliveryView {
  id: string;
  received_at: string;
  reason: string;
  remapped_at: string | null;
  event_ids: string[];
  body_bytes: number;
  /** The body as text: whole, or its beginning when `body_truncated`. */
  body: string;
  body_truncated: boolean;
}

@Injectable()
export class UnmappedService {
  constructor(
    private readonly unmapped: UnmappedRepository,
    private readonly sources: SourceService,
  ) {}

  async list(
    tenantId: string,
    sourceId: string,
    limit = 50,
    cursor?: string,
  ): Promise<{ data: UnmappedDeliveryView[]; next_cursor: string | null }> {
    await this.sources.get(tenantId, sourceId); // 404 for another tenant's or an unknown source
    const size = Math.min(Math.max(1, limit), MAX_PAGE);
    const rows = await this.unmapped.list(tenantId, sourceId, size + 1, cursor);
    const page = rows.slice(0, size);
    return {
      data: page.map(toView),
      next_cursor: rows.length > size ? page[page.length - 1]!.seq : null,
    };
  }
}

/** What the listing keeps of a body: small ones whole, else the beginning (never half a character). */
export function bodyForListing(body: Buffer): { body: string; truncated: boolean } {
  const text = body.toString('utf8');
  if (body.length <= WHOLE_BODY_BYTES) return { body: text, truncated: false };
  let excerpt = text.slice(0, EXCERPT_CHARS);
  if (/[\uD800-\uDBFF]$/.test(excerpt)) excerpt = excerpt.slice(0, -1);
  return { body: excerpt, truncated: true };
}

function toView(row: UnmappedDeliveryRow): UnmappedDeliveryView {
  return {
    id: row.id,
    received_at: row.received_at.toISOString(),
    reason: row.reason,
    remapped_at: row.remapped_at?.toISOString() ?? null,
    event_ids: row.event_ids,
    body_bytes: row.body_bytes,
    body: row.body,
    body_truncated: row.body_truncated,
  };
}
