import { Inject, Injectable } from '@nestjs/common';
import { DATA_SOURCE } from '@hub/persistence';
import type { DataSource } from 'typeorm';
import { SourceEntity, SourceStatsEntity } from './source.entity.js';

export type NewSource = Omit<SourceEntity, 'createdAt' | 'updatedAt' | 'validatedAt'>;
export type SourceChanges = Partial<
  Pick<SourceEntity, 'name' | 'secretSealed' | 'settings' | 'verification'>
>;

/** Every query on sources and their counters; tenant first, except the ingest lookup by its URL id. */
@Injectable()
export class SourceRepository {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  private get sources() {
    return this.dataSource.getRepository(SourceEntity);
  }

  async create(source: NewSource): Promise<SourceEntity> {
    await this.dataSource.transaction(async (manager) => {
      await manager.insert(SourceEntity, { ...source, validatedAt: null });
      await manager.insert(SourceStatsEntity, {
        tenantId: source.tenantId,
        sourceId: source.id,
        accepted: '0',
        rejected: {},
        lastDeliveryAt: null,
        lastAcceptedAt: null,
      });
    });
    return (await this.findById(source.tenantId, source.id))!;
  }

  /** Oldest first; `after` is the last id of the previous page. */
  listByTenant(tenantId: string, limit: number, after?: string): Promise<SourceEntity[]> {
    const query = this.sources
      .createQueryBuilder('source')
      .where('source.tenant_id = :tenantId', { tenantId })
      .orderBy('source.id', 'ASC')
      .limit(limit);
    if (after) query.andWhere('source.id > :after', { after });
    return query.getMany();
  }

  findById(tenantId: string, id: string): Promise<SourceEntity | null> {
    return this.sources.findOneBy({ tenantId, id });
  }

  /** The ingest URL names only the source; the tenant comes from the row. */
  findForIngest(id: string): Promise<SourceEntity | null> {
    return this.sources.findOneBy({ id });
  }

  async update(tenantId: string, id: string, changes: SourceChanges): Promise<SourceEntity | null> {
    if (Object.keys(changes).length > 0) await this.sources.update({ tenantId, id }, changes);
    return this.findById(tenantId, id);
  }

  async markValidated(tenantId: string, id: string): Promise<void> {
    await this.sources.update({ tenantId, id }, { validatedAt: () => 'now()' });
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.sources.delete({ tenantId, id });
    return (result.affected ?? 0) > 0;
  }

  findStats(tenantId: string, sourceId: string): Promise<SourceStatsEntity | null> {
    return this.dataSource.getRepository(SourceStatsEntity).findOneBy({ tenantId, sourceId });
  }

  async recordAccepted(tenantId: string, sourceId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE source_stats SET accepted = accepted + 1, last_delivery_at = now(), last_accepted_at = now()
        WHERE tenant_id = $1 AND source_id = $2`,
      [tenantId, sourceId],
    );
  }

  async recordRejected(tenantId: string, sourceId: string, reason: string, detail: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE source_stats SET last_delivery_at = now(),
              rejected = jsonb_set(rejected, ARRAY[$3::text], jsonb_build_object(
                'count', COALESCE((rejected -> $3 ->> 'count')::bigint, 0) + 1,
                'last_at', to_jsonb(now()),
                'last_detail', to_jsonb($4::text)))
        WHERE tenant_id = $1 AND source_id = $2`,
      [tenantId, sourceId, reason, detail.slice(0, 300)],
    );
  }
}
