import { Inject, Injectable } from '@nestjs/common';
import { DATA_SOURCE, defineQuery, execute, rowsOf } from '@hub/persistence';
import { In, type DataSource } from 'typeorm';
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

  /**
   * Inserts unless the tenant already has `quota` sources; else how many it has. The count and the
   * insert happen under a per-tenant lock, so concurrent creates cannot overshoot.
   */
  async createWithinQuota(
    source: NewSource,
    quota: number,
  ): Promise<{ source: SourceEntity } | { existing: number }> {
    const existing = await this.dataSource.transaction(async (manager) => {
      await execute(manager, defineQuery('SELECT pg_advisory_xact_lock(hashtext($1))'), [
        `sources/${source.tenantId}`,
      ]);
      const [counted] = await rowsOf(
        manager,
        defineQuery<{ count: number }>('SELECT count(*)::int AS count FROM sources WHERE tenant_id = $1'),
        [source.tenantId],
      );
      const count = counted?.count ?? 0;
      if (count >= quota) return count;
      await manager.insert(SourceEntity, { ...source, validatedAt: null });
      await manager.insert(SourceStatsEntity, {
        tenantId: source.tenantId,
        sourceId: source.id,
        accepted: '0',
        rejected: {},
        lastDeliveryAt: null,
        lastAcceptedAt: null,
        unmapped: '0',
        lastUnmappedAt: null,
        lastUnmappedReason: null,
      });
      return null;
    });
    if (existing !== null) return { existing };
    return { source: (await this.findById(source.tenantId, source.id))! };
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

  /** The same for many ingest URLs at once, in no particular order; unknown ids are left out. */
  findAllForIngest(ids: readonly string[]): Promise<SourceEntity[]> {
    return this.sources.findBy({ id: In([...ids]) });
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

  /** Counts of the last hour and the last day, from the source's minutes (see ADD_STATS). */
  async findWindows(tenantId: string, sourceId: string): Promise<SourceStatsWindows> {
    const [row] = await rowsOf(this.dataSource, FIND_WINDOWS, [tenantId, sourceId]);
    const zero = { accepted: 0, rejected: 0, unmapped: 0 };
    return row ?? { hour: zero, day: zero };
  }

  /**
   * Adds what the stats buffer gathered, for every source at once, in one statement: counts add up,
   * times and details are the latest, and the counts also go to the current minute of each source.
   * Sources deleted meanwhile simply match no row.
   */
  async addStats(deltas: SourceStatsDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    await execute(this.dataSource, ADD_STATS, [JSON.stringify(deltas)]);
  }
}

/** Counts within a window; a window is exact to the minute. */
export interface WindowCounts {
  accepted: number;
  rejected: number;
  unmapped: number;
}

export interface SourceStatsWindows {
  hour: WindowCounts;
  day: WindowCounts;
}

const FIND_WINDOWS = defineQuery<SourceStatsWindows, [string, string]>(`
  SELECT json_build_object(
           'accepted', COALESCE(sum(accepted) FILTER (WHERE minute > now() - interval '1 hour'), 0),
           'rejected', COALESCE(sum(rejected) FILTER (WHERE minute > now() - interval '1 hour'), 0),
           'unmapped', COALESCE(sum(unmapped) FILTER (WHERE minute > now() - interval '1 hour'), 0)) AS hour,
         json_build_object(
           'accepted', COALESCE(sum(accepted), 0),
           'rejected', COALESCE(sum(rejected), 0),
           'unmapped', COALESCE(sum(unmapped), 0)) AS day
    FROM source_stats_minutes
   WHERE tenant_id = $1 AND source_id = $2 AND minute > now() - interval '1 day'`);

// The minutes go only to sources whose totals were updated (a deleted source has none), and each
// write drops those sources' minutes older than the longest window: a source keeps a day of them.
const ADD_STATS = defineQuery<never, [string]>(`
  WITH d AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS d(
                tenant_id uuid, source_id text, accepted bigint, last_delivery_at timestamptz,
                last_accepted_at timestamptz, unmapped bigint, last_unmapped_at timestamptz,
                last_unmapped_reason text, rejected jsonb)),
       totals AS (
         UPDATE source_stats s SET
                accepted = s.accepted + d.accepted,
                last_delivery_at = GREATEST(s.last_delivery_at, d.last_delivery_at),
                last_accepted_at = GREATEST(s.last_accepted_at, d.last_accepted_at),
                unmapped = s.unmapped + d.unmapped,
                last_unmapped_at = COALESCE(d.last_unmapped_at, s.last_unmapped_at),
                last_unmapped_reason = COALESCE(d.last_unmapped_reason, s.last_unmapped_reason),
                rejected = s.rejected || COALESCE((
                  SELECT jsonb_object_agg(r.key, jsonb_build_object(
                           'count', COALESCE((s.rejected -> r.key ->> 'count')::bigint, 0) + (r.value ->> 'count')::bigint,
                           'last_at', r.value -> 'last_at',
                           'last_detail', r.value -> 'last_detail'))
                    FROM jsonb_each(d.rejected) r), '{}')
           FROM d
          WHERE s.tenant_id = d.tenant_id AND s.source_id = d.source_id
         RETURNING s.tenant_id, s.source_id),
       minutes AS (
         INSERT INTO source_stats_minutes AS m (tenant_id, source_id, minute, accepted, rejected, unmapped)
         SELECT d.tenant_id, d.source_id, date_trunc('minute', now()), d.accepted,
                COALESCE((SELECT sum((r.value ->> 'count')::int) FROM jsonb_each(d.rejected) r), 0),
                d.unmapped
           FROM d JOIN totals USING (tenant_id, source_id)
         ON CONFLICT (tenant_id, source_id, minute) DO UPDATE SET
                accepted = m.accepted + EXCLUDED.accepted,
                rejected = m.rejected + EXCLUDED.rejected,
                unmapped = m.unmapped + EXCLUDED.unmapped)
  DELETE FROM source_stats_minutes old USING totals
   WHERE old.tenant_id = totals.tenant_id AND old.source_id = totals.source_id
     AND old.minute < now() - interval '1 day'`);

/** One source's counts since the last flush (see SourceStatsBuffer). */
export interface SourceStatsDelta {
  tenant_id: string;
  source_id: string;
  accepted: number;
  last_delivery_at: string | null;
  last_accepted_at: string | null;
  unmapped: number;
  last_unmapped_at: string | null;
  last_unmapped_reason: string | null;
  rejected: Record<string, { count: number; last_at: string; last_detail: string }>;
}
