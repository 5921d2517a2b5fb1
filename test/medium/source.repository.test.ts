import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { emptySourceStatsDelta } from '../../apps/ingest/src/sources/source-stats.buffer.js';
import { SourceRepository, type SourceStatsDelta } from '../../apps/ingest/src/sources/source.repository.js';
import { SourceService } from '../../apps/ingest/src/sources/source.service.js';
import type { IngestConfig } from '../../apps/ingest/src/config/ingest.config.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { newSource, openIngestDatabase } from './ingest-tables.js';
import type { MediumDatabase } from './medium-database.js';

after(stopEmbeddedTestServer);

describe('SourceRepository', () => {
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

  const delta = (
    tenantId: string,
    sourceId: string,
    changes: Partial<SourceStatsDelta> = {},
  ): SourceStatsDelta => ({ ...emptySourceStatsDelta(tenantId, sourceId), ...changes });

  test("ingest's lookup of many sources: in the order asked, null for an unknown id, and only the source whose secret does not open fails", async () => {
    const service = new SourceService(sources, {
      SECRETS_KEY: randomBytes(32).toString('base64'),
    } as IngestConfig);
    const open = await sources.createWithinQuota(
      newSource(db.tenantA, { verification: 'none', secretSealed: null }),
      100,
    );
    assert.ok('source' in open);
    // newSource's sealed secret is not one SecretBox wrote: it cannot be opened.
    const sealedElsewhere = await create(db.tenantB);
    const [resolved, unopened, unknown] = await service.resolveAllForIngest([
      open.source.id,
      sealedElsewhere.id,
      'src_unknown',
    ]);
    assert.deepEqual(resolved, {
      tenantId: db.tenantA,
      id: open.source.id,
      provider: 'pylon-observer',
      verification: 'none',
      settings: { region: 'eu' },
      secret: null,
    });
    assert.ok(unopened instanceof Error, String(unopened));
    assert.equal(unknown, null);
  });

  test('a created source reads back with empty stats, only for its tenant; the ingest lookup needs no tenant', async () => {
    const source = await create(db.tenantA);
    assert.equal(source.tenantId, db.tenantA);
    assert.deepEqual(source.settings, { region: 'eu' });
    assert.equal(source.validatedAt, null);
    assert.equal((await sources.findById(db.tenantA, source.id))?.name, 'Medium source');
    assert.equal(await sources.findById(db.tenantB, source.id), null);
    assert.equal((await sources.findForIngest(source.id))?.tenantId, db.tenantA);
    const other = await create(db.tenantB);
    const many = await sources.findAllForIngest([source.id, 'src_unknown', other.id]);
    assert.deepEqual(
      many.map((row) => `${row.tenantId}/${row.id}`).sort(),
      [`${db.tenantA}/${source.id}`, `${db.tenantB}/${other.id}`].sort(),
      'one query for several ingest URLs, whatever their tenants; unknown ids left out',
    );
    const stats = await sources.findStats(db.tenantA, source.id);
    assert.equal(stats?.accepted, '0');
    assert.deepEqual(stats?.rejected, {});
    assert.equal(await sources.findStats(db.tenantB, source.id), null);
  });

  test('the quota counts the tenant’s own sources, also under concurrent creates', async () => {
    const own = await openIngestDatabase();
    try {
      const repo = new SourceRepository(own.dataSource);
      assert.ok('source' in (await repo.createWithinQuota(newSource(own.tenantA), 1)));
      assert.deepEqual(await repo.createWithinQuota(newSource(own.tenantA), 1), { existing: 1 });
      const results = await Promise.all(
        Array.from({ length: 4 }, () => repo.createWithinQuota(newSource(own.tenantB), 2)),
      );
      assert.equal(results.filter((r) => 'source' in r).length, 2);
      assert.equal((await repo.listByTenant(own.tenantB, 10)).length, 2);
    } finally {
      await own.close();
    }
  });

  test('listByTenant pages by id within the tenant', async () => {
    for (let i = 0; i < 3; i++) await create(db.tenantB);
    const all = await sources.listByTenant(db.tenantB, 100);
    assert.ok(all.length >= 3);
    assert.ok(all.every((s) => s.tenantId === db.tenantB));
    const first = await sources.listByTenant(db.tenantB, 1);
    const rest = await sources.listByTenant(db.tenantB, 100, first[0]!.id);
    assert.deepEqual(
      [...first, ...rest].map((s) => s.id),
      all.map((s) => s.id),
    );
  });

  test('update, markValidated and delete touch only the tenant’s own source', async () => {
    const source = await create(db.tenantA);
    assert.equal(await sources.update(db.tenantB, source.id, { name: 'Hijacked' }), null);
    assert.equal((await sources.update(db.tenantA, source.id, { name: 'Renamed' }))?.name, 'Renamed');
    assert.equal((await sources.update(db.tenantA, source.id, {}))?.name, 'Renamed');
    await sources.markValidated(db.tenantB, source.id);
    assert.equal((await sources.findById(db.tenantA, source.id))?.validatedAt, null);
    await sources.markValidated(db.tenantA, source.id);
    assert.ok((await sources.findById(db.tenantA, source.id))?.validatedAt instanceof Date);
    assert.equal(await sources.delete(db.tenantB, source.id), false);
    assert.equal(await sources.delete(db.tenantA, source.id), true);
    assert.equal(await sources.findStats(db.tenantA, source.id), null, 'its stats go with it');
  });

  test('addStats adds counts up, keeps the latest times, merges rejection reasons, and skips deleted sources', async () => {
    const source = await create(db.tenantA);
    await sources.addStats([]);
    await sources.addStats([
      delta(db.tenantA, source.id, {
        accepted: 3,
        last_delivery_at: '2026-01-01T00:00:00.000Z',
        last_accepted_at: '2026-01-01T00:00:00.000Z',
        rejected: { signature: { count: 2, last_at: '2026-01-01T00:00:00.000Z', last_detail: 'bad mac' } },
      }),
      delta(db.tenantB, source.id, { accepted: 100 }),
      delta(db.tenantA, 'src_deleted_meanwhile', { accepted: 5 }),
    ]);
    await sources.addStats([
      delta(db.tenantA, source.id, {
        accepted: 2,
        last_delivery_at: '2025-12-31T00:00:00.000Z',
        unmapped: 1,
        last_unmapped_at: '2026-01-02T00:00:00.000Z',
        last_unmapped_reason: 'unknown event',
        rejected: {
          signature: { count: 1, last_at: '2026-01-02T00:00:00.000Z', last_detail: 'stale timestamp' },
          body: { count: 1, last_at: '2026-01-02T00:00:00.000Z', last_detail: 'not JSON' },
        },
      }),
    ]);
    const stats = await sources.findStats(db.tenantA, source.id);
    assert.equal(stats?.accepted, '5');
    assert.equal(stats?.lastDeliveryAt?.toISOString(), '2026-01-01T00:00:00.000Z');
    assert.equal(stats?.unmapped, '1');
    assert.equal(stats?.lastUnmappedReason, 'unknown event');
    assert.deepEqual(stats?.rejected, {
      signature: { count: 3, last_at: '2026-01-02T00:00:00.000Z', last_detail: 'stale timestamp' },
      body: { count: 1, last_at: '2026-01-02T00:00:00.000Z', last_detail: 'not JSON' },
    });
  });
});
