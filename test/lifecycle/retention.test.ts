import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { partitionForKey, type ConsumedMessage } from '@hub/bus';
import { loadConfig, ConfigError } from '@hub/config';
import { defineQuery, execute, rowsOf } from '@hub/persistence';
import { Pruner, type PruneJob } from '@hub/runtime';
import { metricsText } from '@hub/telemetry';
import { DispatcherConfig } from '../../apps/dispatcher/src/config/dispatcher.config.js';
import { dispatcherPruneJobs } from '../../apps/dispatcher/src/retention/dispatcher-retention.js';
import { ingestPruneJobs } from '../../apps/ingest/src/retention/ingest-retention.js';
import { rebuildReadModels } from '../../apps/projector/src/rebuild/rebuild.js';
import { ReadModelRepository } from '../../apps/projector/src/read-models/read-model.repository.js';
import { projectorPruneJobs } from '../../apps/projector/src/retention/projector-retention.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { newSubscription } from '../medium/dispatcher-tables.js';
import { SubscriptionRepository } from '../../apps/dispatcher/src/subscriptions/subscription.repository.js';
import {
  age,
  appConfigs,
  CANONICAL_TOPICS,
  insertAttempt,
  insertDelivery,
  insertUnmapped,
  messagesPerTopic,
  openLifecycleDatabase,
  readModels,
  seedTenant,
  TOPICS,
} from './lifecycle-fixtures.js';

after(stopEmbeddedTestServer);

type LifecycleDatabase = Awaited<ReturnType<typeof openLifecycleDatabase>>;

/** Small batches and no pause: a round takes several batches, quickly. */
const SCHEDULE = { intervalMs: 60_000, batchSize: 3, pauseMs: 1 };

function everyJob(url: string, env: Record<string, string> = {}): PruneJob[] {
  const configs = appConfigs(url, env);
  return [
    ...ingestPruneJobs(configs.ingest, 'postgres-log'),
    ...projectorPruneJobs(configs.projector, 'postgres-log'),
    ...dispatcherPruneJobs(configs.dispatcher, 'postgres-log'),
  ];
}

async function deletedMetric(kind: string): Promise<number> {
  const line = (await metricsText())
    .split('\n')
    .find((text) => text.startsWith(`hub_retention_deleted_total{kind="${kind}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('retention settings', () => {
  test('have the documented defaults and refuse what is not a number of days', () => {
    const { ingest, projector, dispatcher } = appConfigs('postgres://hub@127.0.0.1:5432/hub');
    assert.equal(ingest.RETENTION_RAW_DELIVERIES_DAYS, 30);
    assert.equal(projector.RETENTION_STATE_CHANGES_DAYS, 7);
    assert.equal(projector.RETENTION_HISTORY_DAYS, 0);
    assert.equal(dispatcher.RETENTION_DELIVERIES_DAYS, 30);
    assert.equal(dispatcher.RETENTION_DEAD_LETTERS_DAYS, 30);
    assert.equal(dispatcher.RETENTION_INTERVAL, 600_000);
    assert.equal(dispatcher.RETENTION_BATCH_SIZE, 1_000);
    assert.equal(dispatcher.RETENTION_BATCH_PAUSE, 200);
    assert.equal(
      appConfigs('postgres://h@x/h', { RETENTION_INTERVAL: '1h' }).ingest.RETENTION_INTERVAL,
      3_600_000,
    );
    for (const value of ['-1', '3651', '1.5', 'forever']) {
      assert.throws(
        () =>
          loadConfig(DispatcherConfig, {
            DATABASE_URL: 'postgres://hub@127.0.0.1:5432/hub',
            SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'),
            RETENTION_DELIVERIES_DAYS: value,
          }),
        (error: unknown) => error instanceof ConfigError && /RETENTION_DELIVERIES_DAYS/.test(error.message),
        value,
      );
    }
  });

  test('0 keeps a kind for ever: its job never runs', async () => {
    const jobs = everyJob('postgres://hub@127.0.0.1:5432/hub', {
      RETENTION_RAW_DELIVERIES_DAYS: '0',
      RETENTION_STATE_CHANGES_DAYS: '0',
      RETENTION_DELIVERIES_DAYS: '0',
      RETENTION_DEAD_LETTERS_DAYS: '0',
    });
    assert.ok(jobs.length > 0);
    assert.ok(jobs.every((job) => job.retentionDays === 0));
  });

  test('on Kafka no job touches a topic: the broker keeps its retention', () => {
    const configs = appConfigs('postgres://hub@127.0.0.1:5432/hub');
    const kinds = [
      ...ingestPruneJobs(configs.ingest, 'kafka'),
      ...projectorPruneJobs(configs.projector, 'kafka'),
      ...dispatcherPruneJobs(configs.dispatcher, 'kafka'),
    ].map((job) => job.kind);
    assert.deepEqual(kinds.sort(), ['deliveries', 'entity_history', 'unmapped_deliveries']);
  });
});

describe('pruning', () => {
  let db: LifecycleDatabase;
  before(async () => {
    db = await openLifecycleDatabase();
  });
  after(() => db?.close());

  test('deletes the old head of the state-changes, dead-letter and raw topics; never a canonical message', async () => {
    const key = `${db.tenantA}/pylon-observer:p9`;
    const partition = partitionForKey(key, 4);
    const messages = Array.from({ length: 10 }, (_, i) => ({ key, value: `change ${i}` }));
    await db.bus.publish(TOPICS.stateChanges, messages);
    await db.bus.publish(TOPICS.deadLetters, messages.slice(0, 4));
    await db.bus.publish(TOPICS.rawDeliveries, messages.slice(0, 5));
    await db.bus.publish(TOPICS.projects, messages.slice(0, 2));
    // The first six state changes are ten days old; every other message is older than any retention.
    await age(db.dataSource, 'bus_messages', 'created_at', 10, `topic = $1 AND "offset" < 6`, [
      TOPICS.stateChanges,
    ]);
    await age(db.dataSource, 'bus_messages', 'created_at', 400, 'topic <> $1', [TOPICS.stateChanges]);
    // A consumer that stopped at offset 3: its position falls inside what is pruned.
    await execute(
      db.dataSource,
      defineQuery(
        `INSERT INTO bus_offsets (group_id, topic, partition, committed_offset) VALUES ('behind', $1, $2, 3)`,
      ),
      [TOPICS.stateChanges, partition],
    );
    const before = await deletedMetric('state_changes');

    const reports = await new Pruner(db.dataSource, everyJob(db.url), SCHEDULE).runRound();

    const offsets = await rowsOf(
      db.dataSource,
      defineQuery<{ offset: string }>(
        `SELECT "offset"::text AS offset FROM bus_messages WHERE topic = $1 ORDER BY "offset"`,
      ),
      [TOPICS.stateChanges],
    );
    assert.deepEqual(
      offsets.map((row) => row.offset),
      ['6', '7', '8', '9'],
    );
    const left = await messagesPerTopic(db.dataSource);
    assert.equal(left[TOPICS.deadLetters], undefined);
    assert.equal(left[TOPICS.rawDeliveries], undefined);
    assert.equal(left[TOPICS.projects], 2, 'canonical messages are never pruned, however old');
    const stateChanges = reports.find((report) => report.kind === 'state_changes');
    assert.equal(stateChanges?.deleted, 6);
    assert.ok((stateChanges?.batches ?? 0) > 1, 'in several small batches');
    assert.equal((await deletedMetric('state_changes')) - before, 6);

    // The consumer reads on from the first message kept.
    const read: ConsumedMessage[] = [];
    let done: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (done = resolve));
    const subscription = await db.bus.subscribe({
      groupId: 'behind',
      topics: [TOPICS.stateChanges],
      handler: async (batch) => {
        read.push(...batch);
        if (read.length >= 4) done();
      },
    });
    await all;
    await subscription.close();
    assert.deepEqual(
      read.map((message) => message.offset),
      ['6', '7', '8', '9'],
    );
  });

  test('deletes finished deliveries past retention with their attempts; young, pending and sending ones stay', async () => {
    const subscription = newSubscription(db.tenantA);
    await new SubscriptionRepository(db.dataSource).createWithinQuota(subscription, 100);
    const ids: Record<string, string> = {};
    for (const status of ['succeeded', 'failed', 'pending', 'sending'] as const) {
      ids[`old ${status}`] = await insertDelivery(db.dataSource, db.tenantA, subscription.id, status);
      ids[`young ${status}`] = await insertDelivery(db.dataSource, db.tenantA, subscription.id, status);
    }
    for (const id of Object.values(ids)) await insertAttempt(db.dataSource, db.tenantA, id);
    const old = Object.entries(ids)
      .filter(([name]) => name.startsWith('old'))
      .map(([, id]) => id);
    // Pending and sending ones have been retrying for 40 days: their retries still go on.
    await age(db.dataSource, 'deliveries', 'created_at', 40, 'id = ANY($1)', [old]);
    await age(db.dataSource, 'deliveries', 'completed_at', 40, 'id = ANY($1) AND completed_at IS NOT NULL', [
      old,
    ]);
    await age(db.dataSource, 'delivery_attempts', 'attempted_at', 40, 'delivery_id = ANY($1)', [old]);

    await new Pruner(db.dataSource, everyJob(db.url), SCHEDULE).runRound();

    const kept = await rowsOf(
      db.dataSource,
      defineQuery<{ id: string }>('SELECT id FROM deliveries WHERE subscription_id = $1'),
      [subscription.id],
    );
    const names = Object.entries(ids)
      .filter(([, id]) => kept.some((row) => row.id === id))
      .map(([name]) => name)
      .sort();
    assert.deepEqual(names, [
      'old pending',
      'old sending',
      'young failed',
      'young pending',
      'young sending',
      'young succeeded',
    ]);
    const attempts = await rowsOf(
      db.dataSource,
      defineQuery<{ delivery_id: string }>(
        'SELECT delivery_id FROM delivery_attempts WHERE delivery_id = ANY($1)',
      ),
      [Object.values(ids)],
    );
    assert.deepEqual(
      attempts.map((row) => row.delivery_id).sort(),
      kept.map((row) => row.id).sort(),
      'an attempt goes with its delivery',
    );
  });

  test('deletes unmapped deliveries received before the raw-delivery retention', async () => {
    const sourceId = 'src_retention';
    await execute(
      db.dataSource,
      defineQuery(
        `INSERT INTO sources (tenant_id, id, provider, name, verification) VALUES ($1, $2, 'pylon-observer', 'S', 'none')`,
      ),
      [db.tenantB, sourceId],
    );
    for (const id of ['old_1', 'old_2', 'young_1'])
      await insertUnmapped(db.dataSource, db.tenantB, sourceId, id);
    await age(db.dataSource, 'unmapped_deliveries', 'received_at', 31, `id LIKE 'old_%'`);

    await new Pruner(db.dataSource, everyJob(db.url), SCHEDULE).runRound();

    const kept = await rowsOf(
      db.dataSource,
      defineQuery<{ id: string }>(
        'SELECT id FROM unmapped_deliveries WHERE tenant_id = $1 AND source_id = $2',
      ),
      [db.tenantB, sourceId],
    );
    assert.deepEqual(
      kept.map((row) => row.id),
      ['young_1'],
    );
  });

  test('stops between batches when asked, and runs no more rounds', async () => {
    const key = `${db.tenantB}/pylon-observer:stop`;
    await db.bus.publish(
      TOPICS.deadLetters,
      Array.from({ length: 30 }, (_, i) => ({ key, value: `dead ${i}` })),
    );
    await age(db.dataSource, 'bus_messages', 'created_at', 400, 'topic = $1', [TOPICS.deadLetters]);
    const pruner = new Pruner(db.dataSource, everyJob(db.url), {
      intervalMs: 60_000,
      batchSize: 4,
      pauseMs: 60_000,
    });
    const round = pruner.runRound();
    // The first batch commits, then the pruner rests for a minute: stop ends the rest at once.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const started = Date.now();
    await pruner.stop();
    const reports = await round;
    assert.ok(Date.now() - started < 5_000, 'stop did not wait out the pause');
    const deadLetters = reports.find((report) => report.kind === 'dead_letters');
    assert.ok(deadLetters === undefined || deadLetters.deleted < 30, 'the round stopped part way');
    assert.ok((await messagesPerTopic(db.dataSource))[TOPICS.deadLetters]! > 0);
  });
});

describe('history retention', () => {
  let db: LifecycleDatabase;
  before(async () => {
    db = await openLifecycleDatabase();
    await seedTenant(db, db.tenantA);
  });
  after(() => db?.close());

  test('drops versions older than the retention, keeps the current one, and the rest reads as before', async () => {
    const reads = new ReadModelRepository(db.dataSource);
    const p1Before = await reads.history(db.tenantA, 'project', 'pylon-observer:p1', 100);
    const p2Before = await reads.history(db.tenantA, 'project', 'pylon-observer:p2', 100);
    assert.deepEqual(
      p1Before.map((row) => row.version),
      [1, 2, 3],
    );
    // p1's first two versions are old; p2's only version is old, and it is its current one.
    await age(
      db.dataSource,
      'entity_history',
      'applied_at',
      100,
      `entity_id = 'pylon-observer:p1' AND version <= 2`,
    );
    await age(db.dataSource, 'entity_history', 'applied_at', 100, `entity_id = 'pylon-observer:p2'`);

    await new Pruner(db.dataSource, everyJob(db.url, { RETENTION_HISTORY_DAYS: '90' }), SCHEDULE).runRound();

    const p1After = await reads.history(db.tenantA, 'project', 'pylon-observer:p1', 100);
    assert.deepEqual(
      p1After.map(({ version, document, event_id }) => ({ version, document, event_id })),
      p1Before.slice(2).map(({ version, document, event_id }) => ({ version, document, event_id })),
    );
    assert.deepEqual(
      (await reads.history(db.tenantA, 'project', 'pylon-observer:p2', 100)).map(({ version, document }) => ({
        version,
        document,
      })),
      p2Before.map(({ version, document }) => ({ version, document })),
    );
    // A second round finds nothing more to do.
    const again = await new Pruner(
      db.dataSource,
      everyJob(db.url, { RETENTION_HISTORY_DAYS: '90' }),
      SCHEDULE,
    ).runRound();
    assert.equal(again.find((report) => report.kind === 'entity_history')?.deleted, 0);
  });
});

describe('rebuild after pruning', () => {
  let db: LifecycleDatabase;
  before(async () => {
    db = await openLifecycleDatabase();
    await seedTenant(db, db.tenantA);
    await seedTenant(db, db.tenantB);
  });
  after(() => db?.close());

  test('yields the same read models: the canonical topics are kept whole', async () => {
    await rebuildReadModels(db.dataSource, db.bus, { topicPrefix: 'hub' });
    const state = await readModels(db.dataSource);
    const reads = new ReadModelRepository(db.dataSource);
    const history = await reads.history(db.tenantA, 'project', 'pylon-observer:p1', 100);
    const canonicalBefore = await messagesPerTopic(db.dataSource);
    // Everything is older than every retention, history included.
    await age(db.dataSource, 'bus_messages', 'created_at', 400);
    await age(db.dataSource, 'entity_history', 'applied_at', 400);
    await age(db.dataSource, 'deliveries', 'completed_at', 400, 'completed_at IS NOT NULL');
    await age(db.dataSource, 'unmapped_deliveries', 'received_at', 400);

    const reports = await new Pruner(
      db.dataSource,
      everyJob(db.url, { RETENTION_HISTORY_DAYS: '1' }),
      SCHEDULE,
    ).runRound();
    for (const kind of ['raw_deliveries', 'state_changes', 'dead_letters', 'entity_history', 'deliveries'])
      assert.ok((reports.find((report) => report.kind === kind)?.deleted ?? 0) > 0, `${kind} pruned`);
    assert.equal((await reads.history(db.tenantA, 'project', 'pylon-observer:p1', 100)).length, 1);

    const rebuilt = await rebuildReadModels(db.dataSource, db.bus, { topicPrefix: 'hub' });
    assert.equal(rebuilt.poisoned, 0);
    assert.deepEqual(await readModels(db.dataSource), state);
    const after = await messagesPerTopic(db.dataSource);
    for (const topic of CANONICAL_TOPICS) assert.equal(after[topic], canonicalBefore[topic], topic);
    // The rebuild writes the whole history again from the canonical topics.
    assert.deepEqual(
      (await reads.history(db.tenantA, 'project', 'pylon-observer:p1', 100)).map(({ version, document }) => ({
        version,
        document,
      })),
      history.map(({ version, document }) => ({ version, document })),
    );
  });
});
