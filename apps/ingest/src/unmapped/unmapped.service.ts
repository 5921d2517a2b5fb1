import { Injectable } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { decodeCursor, pageLimitOf, pageOf, type Page, type PageQuery } from '@hub/runtime';
import { SourceService } from '../sources/source.service.js';
import { UnmappedRepository, type UnmappedDeliveryRow } from './unmapped.repository.js';

/** Bodies up to this size are kept whole; larger ones as their first EXCERPT_CHARS characters. */
export const WHOLE_BODY_BYTES = 4 * 1024;
const EXCERPT_CHARS = 1024;

export class UnmappedDeliveryView {
  @ApiProperty({ description: "the raw delivery's id on the raw-deliveries topic" })
  id: string;

  @ApiProperty({ type: String, format: 'date-time' })
  received_at: string;

  @ApiProperty({ description: 'why the adapter could not map it' })
  reason: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  remapped_at: string | null;

  @ApiProperty({ type: [String], description: 'the events a remap published' })
  event_ids: string[];

  @ApiProperty({ type: 'integer' })
  body_bytes: number;

  /** The body as text: whole, or its beginning when `body_truncated`. */
  @ApiProperty({ description: 'the body as text: whole, or its beginning when body_truncated' })
  body: string;

  @ApiProperty()
  body_truncated: boolean;
}

/** `seq` is the order deliveries were recorded in. */
const SEQ = /^\d{1,18}$/;

@Injectable()
export class UnmappedService {
  constructor(
    private readonly unmapped: UnmappedRepository,
    private readonly sources: SourceService,
  ) {}

  async list(tenantId: string, sourceId: string, query: PageQuery): Promise<Page<UnmappedDeliveryView>> {
    await this.sources.get(tenantId, sourceId); // 404 for another tenant's or an unknown source
    const limit = pageLimitOf(query);
    const after = query.cursor ? decodeCursor(query.cursor, [SEQ])[0] : undefined;
    const rows = await this.unmapped.list(tenantId, sourceId, limit + 1, after);
    return pageOf(rows, limit, (row) => [row.seq], toView);
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
