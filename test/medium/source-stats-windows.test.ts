import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defineQuery, execute, rowsOf } from '@hub/persistence';
import { emptySourceStatsDelta } from '../../apps/ingest/src/sources/source-stats.buffer.js';
import { SourceRepository, type SourceStatsDelta } from '../../apps/ingest/src/sources/source.repository.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { newSource, openIngestDatabase } from './ingest-tables.js';
import type { MediumDatabase } from './medium-database.js';

after(stopEmbeddedTestServer);

const INSERT_MINUTE = defineQuery<never, [string, string, string, number, number, number]>(
  `INSERT INTO source_stats_minutes (tenant_id, source_id, minute, accepted, rejected, unmapped)
   VALUES ($1, $2, date_trunc('minute', now() - $3::interval), $4, $5, $6)`,
);

const COUNT_MINUTES = defineQuery<{ total: number; old: number }, [string, string]>(
  `SELECT count(*)::int AS total, (count(*) FILTER (WHERE minute < now() - interval '1 day'))::int AS old
     FROM source_stats_minutes WHERE tenant_id = $1 AND source_id = $2`,
);

describe('SourceRepository windows', () => {
  let db: MediumDatabase;
  let sources: SourceRepository;
  before(async () => {
    db = await openIngestDatabase();
    sources = new SourceRepository(db.dataSource);
  });
  after(() => db?.close());

  const create = async (tenantId: string) => {
    const created = await sources.createWithinQuota(newSource(tenantId), 100);
    assert.ok('source' in created);
    return created.source;
  };

  const minute = (tenantId: string, sourceId: string, ago: string, counts: [number, number, number]) =>
    execute(db.dataSource, INSERT_MINUTE, [tenantId, sourceId, ago, ...counts]);

  const delta = (tenantId: string, sourceId: string, changes: Partial<SourceStatsDelta>) => ({
    ...emptySourceStatsDelta(tenantId, sourceId),
    ...changes,
  });

  test('a new source has empty windows', async () => {
    const source = await create(db.tenantA);
    const zero = { accepted: 0, rejected: 0, unmapped: 0 };
    assert.deepEqual(await sources.findWindows(db.tenantA, source.id), { hour: zero, day: zero });
  });

  test('the last hour and day count only their minutes, of the tenant’s own source', async () => {
    const source = await create(db.tenantA);
    await minute(db.tenantA, source.id, '5 minutes', [1, 2, 3]);
    await minute(db.tenantA, source.id, '50 minutes', [10, 20, 30]);
    await minute(db.tenantA, source.id, '2 hours', [100, 200, 300]);
    await minute(db.tenantA, source.id, '23 hours', [1000, 2000, 3000]);
    await minute(db.tenantA, source.id, '25 hours', [10000, 20000, 30000]);
    await minute(db.tenantA, source.id, '3 days', [10000, 20000, 30000]);
    assert.deepEqual(await sources.findWindows(db.tenantA, source.id), {
      hour: { accepted: 11, rejected: 22, unmapped: 33 },
      day: { accepted: 1111, rejected: 2222, unmapped: 3333 },
    });
    const zero = { accepted: 0, rejected: 0, unmapped: 0 };
    assert.deepEqual(await sources.findWindows(db.tenantB, source.id), { hour: zero, day: zero });
  });

  test('addStats counts into the current minute, every rejection reason together, and drops minutes older than a day', async () => {
    const source = await create(db.tenantA);
    await minute(db.tenantA, source.id, '2 days', [7, 7, 7]);
    await minute(db.tenantA, source.id, '3 hours', [1, 0, 0]);
    const now = new Date().toISOString();
    const flush = delta(db.tenantA, source.id, {
      accepted: 4,
      unmapped: 1,
      rejected: {
        signature: { count: 2, last_at: now, last_detail: 'bad mac' },
        body: { count: 3, last_at: now, last_detail: 'not JSON' },
      },
    });
    await sources.addStats([flush, delta(db.tenantA, 'src_deleted_meanwhile', { accepted: 9 })]);
    await sources.addStats([delta(db.tenantA, source.id, { accepted: 1 })]);
    assert.deepEqual(await sources.findWindows(db.tenantA, source.id), {
      hour: { accepted: 5, rejected: 5, unmapped: 1 },
      day: { accepted: 6, rejected: 5, unmapped: 1 },
    });
    const [minutes] = await rowsOf(db.dataSource, COUNT_MINUTES, [db.tenantA, source.id]);
    assert.equal(minutes?.old, 0, 'the minute 2 days ago is gone');
    assert.ok((minutes?.total ?? 0) >= 2, 'the minute 3 hours ago is kept');
    assert.equal((await sources.findStats(db.tenantA, source.id))?.accepted, '5', 'the totals add up too');
  });

  test('a deleted source takes its minutes with it', async () => {
    const source = await create(db.tenantB);
    await sources.addStats([delta(db.tenantB, source.id, { accepted: 1 })]);
    assert.equal(await sources.delete(db.tenantB, source.id), true);
    const [minutes] = await rowsOf(db.dataSource, COUNT_MINUTES, [db.tenantB, source.id]);
    assert.equal(minutes?.total, 0);
  });
});
