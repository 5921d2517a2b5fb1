import { Inject, Injectable } from '@nestjs/common';
import { DATA_SOURCE, defineQuery, execute, rowsOf } from '@hub/persistence';
import type { DataSource } from 'typeorm';

export interface NewUnmappedDelivery {
  tenantId: string;
  sourceId: string;
  /** The raw delivery's id on the raw-deliveries topic. */
  id: string;
  receivedAt: Date;
  reason: string;
  bodyBytes: number;
  /** The whole body, or its first part when `bodyTruncated`. */
  body: string;
  bodyTruncated: boolean;
}

export interface UnmappedDeliveryRow {
  seq: string;
  id: string;
  received_at: Date;
  reason: string;
  body_bytes: number;
  body: string;
  body_truncated: boolean;
  remapped_at: Date | null;
  event_ids: string[];
}

/** Every query on unmapped deliveries; tenant first. */
@Injectable()
export class UnmappedRepository {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** A provider's retry of the same delivery has the same id: recorded once. */
  async record(delivery: NewUnmappedDelivery): Promise<void> {
    await execute(
      this.dataSource,
      defineQuery(`INSERT INTO unmapped_deliveries
              (tenant_id, source_id, id, received_at, reason, body_bytes, body, body_truncated)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (tenant_id, source_id, id) DO NOTHING`),
      [
        delivery.tenantId,
        delivery.sourceId,
        delivery.id,
        delivery.receivedAt,
        delivery.reason,
        delivery.bodyBytes,
        delivery.body,
        delivery.bodyTruncated,
      ],
    );
  }

  /** Oldest first; `after` is the `seq` of the previous page's last row. */
  list(tenantId: string, sourceId: string, limit: number, after?: string): Promise<UnmappedDeliveryRow[]> {
    return rowsOf(
      this.dataSource,
      defineQuery<UnmappedDeliveryRow>(`SELECT seq::text AS seq, id, received_at, reason, body_bytes, body, body_truncated, remapped_at, event_ids
         FROM unmapped_deliveries
        WHERE tenant_id = $1 AND source_id = $2 AND seq > $3
        ORDER BY seq
        LIMIT $4`),
      [tenantId, sourceId, after ?? '0', limit],
    );
  }

  /** The remap command mapped it: the events it published. */
  async markRemapped(tenantId: string, sourceId: string, id: string, eventIds: string[]): Promise<void> {
    await execute(
      this.dataSource,
      defineQuery(`UPDATE unmapped_deliveries SET remapped_at = now(), event_ids = $4
        WHERE tenant_id = $1 AND source_id = $2 AND id = $3`),
      [tenantId, sourceId, id, eventIds],
    );
  }
}
