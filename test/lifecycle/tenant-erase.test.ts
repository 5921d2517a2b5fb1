import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rebuildReadModels } from '../../apps/projector/src/rebuild/rebuild.js';
import { eraseTenant } from '../../tools/tenant-erase.js';
import { runProcess } from '../support/app-process.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import {
  messagesPerTopic,
  openLifecycleDatabase,
  projectEvents,
  readModels,
  seedTenant,
  tenantRows,
  TOPICS,
} from './lifecycle-fixtures.js';

after(stopEmbeddedTestServer);

describe('tenant:erase', () => {
  let db: Awaited<ReturnType<typeof openLifecycleDatabase>>;
  before(async () => {
    db = await openLifecycleDatabase();
    await seedTenant(db, db.tenantB);
    // Tenant A's messages come last: on their partitions the newest messages are the ones erased.
    await seedTenant(db, db.tenantA);
  });
  after(() => db?.close());

  test('removes everything of one tenant from every table and the log, and nothing of another', async () => {
    const aBefore = await tenantRows(db.dataSource, db.tenantA);
    const bBefore = await tenantRows(db.dataSource, db.tenantB);
    for (const [table, count] of Object.entries(aBefore)) assert.ok(count > 0, `the seed wrote to ${table}`);
    await rebuildReadModels(db.dataSource, db.bus, { topicPrefix: 'hub' });
    const state = await readModels(db.dataSource);

    const result = await eraseTenant(db.dataSource, db.tenantA, 'postgres-log');

    const aAfter = await tenantRows(db.dataSource, db.tenantA);
    assert.deepEqual(
      Object.entries(aAfter).filter(([, count]) => count !== 0),
      [],
      'nothing of tenant A is left',
    );
    assert.deepEqual(await tenantRows(db.dataSource, db.tenantB), bBefore, 'tenant B is untouched');
    // What the command reports is what was there.
    const { dispatcher, projector, ingest, bus_messages, tenancy } = result.deleted;
    const reported: Record<string, number> = { ...dispatcher, ...projector, ...ingest, ...tenancy };
    reported['bus_messages'] = Object.values(bus_messages).reduce((sum, n) => sum + n, 0);
    assert.deepEqual(reported, aBefore);
    assert.ok(bus_messages[TOPICS.projects]! > 0, 'canonical messages keyed to the tenant are erased too');
    assert.equal(result.kafka, undefined);

    // Tenant A's messages were the newest of their partitions: the log's end is now below the
    // watermark there, and a reader waits for the one, not the other.
    const latest = await db.bus.latestOffsets(TOPICS.projects);
    const stored = await db.bus.storedEndOffsets(TOPICS.projects);
    assert.ok(
      stored.some(({ partition, offset }) => BigInt(offset) < BigInt(latest[partition]!.offset)),
      'some partition ends below its watermark',
    );
    // A rebuild still reads the log to its end, past the erased tail, and gives tenant B's state.
    const rebuilt = await rebuildReadModels(db.dataSource, db.bus, { topicPrefix: 'hub' });
    assert.equal(rebuilt.events, projectEvents(db.tenantB).length + 2);
    const onlyB = (rows: unknown[]) =>
      rows.filter((row) => (row as { tenant_id: string }).tenant_id === db.tenantB);
    const expected = Object.fromEntries(Object.entries(state).map(([table, rows]) => [table, onlyB(rows)]));
    assert.deepEqual(await readModels(db.dataSource), expected);

    const again = await eraseTenant(db.dataSource, db.tenantA, 'postgres-log');
    assert.deepEqual(again.deleted.bus_messages, {});
    assert.equal(again.deleted.tenancy.tenants, 0);
  });

  test('is a CLI command that prints what it deleted, and says what Kafka keeps', async () => {
    const cli = runProcess('dist/tools/cli.js', { DATABASE_URL: db.url, LOG_LEVEL: 'error' }, [
      'tenant:erase',
      db.tenantB,
    ]);
    const line = await cli.waitForLine(/^\{"tenant_id"/);
    assert.equal(await cli.exited, 0);
    const printed = JSON.parse(line) as { tenant_id: string; deleted: { tenancy: { tenants: number } } };
    assert.equal(printed.tenant_id, db.tenantB);
    assert.equal(printed.deleted.tenancy.tenants, 1);
    assert.deepEqual(
      Object.entries(await tenantRows(db.dataSource, db.tenantB)).filter(([, count]) => count !== 0),
      [],
    );
    assert.deepEqual(await messagesPerTopic(db.dataSource), {});

    const kafka = await eraseTenant(db.dataSource, db.tenantB, 'kafka');
    assert.match(kafka.kafka ?? '', /retention/);

    const usage = runProcess('dist/tools/cli.js', { DATABASE_URL: db.url }, ['tenant:erase', 'not-a-tenant']);
    assert.equal(await usage.exited, 2);
    assert.ok(usage.output.some((text) => text.includes('tenant:erase <id>')));
  });
});
