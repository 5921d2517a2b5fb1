import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SourceRepository } from '../../apps/ingest/src/sources/source.repository.js';
import {
  UnmappedRepository,
  type NewUnmappedDelivery,
} from '../../apps/ingest/src/unmapped/unmapped.repository.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { newSource, openIngestDatabase } from './ingest-tables.js';
import type { MediumDatabase } from './medium-database.js';

after(stopEmbeddedTestServer);

describe('UnmappedRepository', () => {
  let db: MediumDatabase;
  let unmapped: UnmappedRepository;
  let sourceId: string;
  before(async () => {
    db = await openIngestDatabase();
    unmapped = new UnmappedRepository(db.dataSource);
    const source = newSource(db.tenantA);
    await new SourceRepository(db.dataSource).createWithinQuota(source, 10);
    sourceId = source.id;
  });
  after(() => db?.close());

  let count = 0;
  const delivery = (changes: Partial<NewUnmappedDelivery> = {}): NewUnmappedDelivery => {
    count += 1;
    return {
      tenantId: db.tenantA,
      sourceId,
      id: `raw_${count}`,
      receivedAt: new Date(Date.UTC(2026, 0, 1, 0, count)),
      reason: 'unknown event type',
      bodyBytes: 9,
      body: '{"n":' + count + '}',
      bodyTruncated: false,
      ...changes,
    };
  };

  test('records a delivery once however often the provider retries it, and lists it back', async () => {
    const first = delivery({ body: '{"big":', bodyBytes: 70_000, bodyTruncated: true });
    await unmapped.record(first);
    await unmapped.record({ ...first, reason: 'the retry' });
    const rows = await unmapped.list(db.tenantA, sourceId, 10);
    assert.equal(rows.length, 1);
    const [row] = rows;
    assert.equal(row?.id, first.id);
    assert.equal(row?.reason, 'unknown event type');
    assert.equal(row?.body, '{"big":');
    assert.equal(row?.body_bytes, 70_000);
    assert.equal(row?.body_truncated, true);
    assert.equal(row?.received_at.getTime(), first.receivedAt.getTime());
    assert.equal(row?.remapped_at, null);
    assert.deepEqual(row?.event_ids, []);
    assert.equal(typeof row?.seq, 'string');
  });

  test('lists oldest first, page after page, and only the tenant’s own', async () => {
    for (let i = 0; i < 3; i++) await unmapped.record(delivery());
    const all = await unmapped.list(db.tenantA, sourceId, 100);
    assert.equal(all.length, 4);
    const first = await unmapped.list(db.tenantA, sourceId, 2);
    const rest = await unmapped.list(db.tenantA, sourceId, 100, first[1]!.seq);
    assert.deepEqual(
      [...first, ...rest].map((row) => row.id),
      all.map((row) => row.id),
    );
    assert.deepEqual(await unmapped.list(db.tenantB, sourceId, 100), []);
  });

  test('markRemapped records the published events, for the tenant’s own delivery only', async () => {
    const target = delivery();
    await unmapped.record(target);
    await unmapped.markRemapped(db.tenantB, sourceId, target.id, ['evt_x']);
    const find = async () =>
      (await unmapped.list(db.tenantA, sourceId, 100)).find((row) => row.id === target.id);
    assert.equal((await find())?.remapped_at, null);
    await unmapped.markRemapped(db.tenantA, sourceId, target.id, ['evt_1', 'evt_2']);
    const remapped = await find();
    assert.ok(remapped?.remapped_at instanceof Date);
    assert.deepEqual(remapped?.event_ids, ['evt_1', 'evt_2']);
  });
});
