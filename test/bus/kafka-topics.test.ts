import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as pause } from 'node:timers/promises';
import kafkajs, { Kafka, logLevel, type Admin, type ITopicConfig } from 'kafkajs';
import { createEventBus, type EventBus } from '@hub/bus';
import { loadConfig, PlatformConfig } from '@hub/config';
import { canonicalTopics, topicNames } from '@hub/contracts';
import { createDataSource, freePort } from '@hub/persistence';
import { busSettings } from '@hub/runtime';
import { createTestDatabase, stopEmbeddedTestServer, type TestDatabase } from '../support/database.js';
import { runProcess, startApp, stopApp } from '../support/app-process.js';
import { testSetting } from '../support/test-env.js';
import { TEST_TOPIC_PREFIX } from '../support/topic-prefix.js';

/**
 * KAFKA_CREATE_TOPICS=false against topics created beforehand, as a team that creates its own
 * would. Only a real broker can take part: the librdkafka mock cluster implements neither
 * CreateTopics (to make a topic with a wrong setting) nor DescribeConfigs (what the check asks),
 * and names no controller kafkajs could send them to.
 */
const real = testSetting('KAFKA_BROKERS');
const skip = real
  ? false
  : 'the librdkafka mock cluster implements neither CreateTopics nor DescribeConfigs (kafkajs: "Broker 0 not found in the cached metadata", it names no controller); run with KAFKA_BROKERS=host:port of a real broker';
after(stopEmbeddedTestServer);

/** Few: the broker is shared, and a run's topics go only when it ends. */
const PARTITIONS = 2;
const KEPT_FOR_EVER = [
  { name: 'cleanup.policy', value: 'delete' },
  { name: 'retention.ms', value: '-1' },
  { name: 'retention.bytes', value: '-1' },
];

/** A fresh TOPIC_PREFIX per test, under this file's own: topics outlive a run on a real broker. */
const freshPrefix = (label: string) => `${TEST_TOPIC_PREFIX}-${label}`;

/**
 * Every topic of `prefix` as the system needs it: canonical ones kept for ever, the others at the
 * broker's defaults (whose seven-day retention the system accepts for them); `change` alters a
 * topic (by its key in topicNames) or, returning undefined, leaves it out.
 */
function topicsOf(
  prefix: string,
  change: (key: string, topic: ITopicConfig) => ITopicConfig | undefined = (_key, topic) => topic,
): ITopicConfig[] {
  const names = topicNames(prefix);
  const canonical = new Set(canonicalTopics(names));
  return Object.entries(names).flatMap(([key, topic]) => {
    const wanted = change(key, {
      topic,
      numPartitions: PARTITIONS,
      replicationFactor: 1,
      configEntries: canonical.has(topic) ? KEPT_FOR_EVER : [],
    });
    return wanted ? [wanted] : [];
  });
}

/** `entries` in place of the topic's own settings of the same names. */
function withSettings(topic: ITopicConfig, entries: Array<{ name: string; value: string }>): ITopicConfig {
  const replaced = new Set(entries.map(({ name }) => name));
  return {
    ...topic,
    configEntries: [...(topic.configEntries ?? []).filter(({ name }) => !replaced.has(name)), ...entries],
  };
}

describe('KAFKA_CREATE_TOPICS=false checks the topics at start', { skip, timeout: 240_000 }, () => {
  let admin: Admin;
  let database: TestDatabase;
  const created: string[] = [];
  const secretsKey = randomBytes(32).toString('base64');

  before(async () => {
    admin = new Kafka({
      clientId: 'topic-check-test',
      brokers: real!.split(','),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    database = await createTestDatabase();
  });

  after(async () => {
    if (created.length > 0) await admin?.deleteTopics({ topics: created }).catch(() => undefined);
    await admin?.disconnect();
    await database?.drop();
  });

  async function createTopics(topics: ITopicConfig[]): Promise<void> {
    assert.equal(await admin.createTopics({ topics, waitForLeaders: true }), true, 'the topics are new');
    created.push(...topics.map(({ topic }) => topic));
  }

  /** Ingest's settings: the app with the fewest moving parts that still checks every topic. */
  const settings = (prefix: string) => ({
    DATABASE_URL: database.url,
    SECRETS_KEY: secretsKey,
    KAFKA_BROKERS: real!,
    KAFKA_CREATE_TOPICS: 'false',
    BUS_PARTITIONS: String(PARTITIONS),
    TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'warn',
  });

  /** Starts ingest on topics that fall short and returns the line it stopped on. */
  async function refusal(prefix: string): Promise<string> {
    const app = runProcess('dist/apps/ingest/src/main.js', {
      ...settings(prefix),
      INGEST_PORT: String(await freePort()),
    });
    const code = await Promise.race([app.exited, pause(60_000, 'still running' as const, { ref: false })]);
    if (code === 'still running') {
      await stopApp(app);
      assert.fail(`ingest started on topics that fall short:\n${app.output.join('\n')}`);
    }
    assert.equal(code, 1, app.output.join('\n'));
    assert.equal(app.output.length, 1, app.output.join('\n'));
    return app.output[0]!;
  }

  test('topics as the system needs them (others at the broker defaults, more partitions) start the app', async () => {
    const prefix = freshPrefix('ok');
    await createTopics(
      topicsOf(prefix, (key, topic) => (key === 'stateChanges' ? { ...topic, numPartitions: 3 } : topic)),
    );
    const { app } = await startApp('ingest', 'dist/apps/ingest/src/main.js', 'INGEST_PORT', settings(prefix));
    await stopApp(app);
  });

  test('a canonical topic kept seven days stops start-up with one line naming the topic and the setting', async () => {
    const prefix = freshPrefix('week');
    await createTopics(
      topicsOf(prefix, (key, topic) =>
        key === 'projects' ? withSettings(topic, [{ name: 'retention.ms', value: '604800000' }]) : topic,
      ),
    );
    assert.equal(
      await refusal(prefix),
      `ingest: cannot start: KAFKA_CREATE_TOPICS=false: topic ${prefix}.canonical.projects has retention.ms=604800000; a rebuild needs -1 (keep for ever)`,
    );
  });

  test('every shortfall at once: a missing topic, too few partitions, a size cap, compaction', async () => {
    const prefix = freshPrefix('all');
    await createTopics(
      topicsOf(prefix, (key, topic) => {
        if (key === 'stateChanges') return undefined;
        if (key === 'deadLetters') return { ...topic, numPartitions: 1 };
        if (key === 'customers')
          return withSettings(topic, [{ name: 'retention.bytes', value: '1073741824' }]);
        if (key === 'slowMonitoring')
          return withSettings(topic, [{ name: 'cleanup.policy', value: 'compact' }]);
        return topic;
      }),
    );
    assert.equal(
      await refusal(prefix),
      'ingest: cannot start: KAFKA_CREATE_TOPICS=false: ' +
        [
          `topic ${prefix}.canonical.customers has retention.bytes=1073741824; a rebuild needs -1 (keep for ever)`,
          `topic ${prefix}.canonical.monitoring.slow has cleanup.policy=compact; a rebuild needs delete (no compaction)`,
          `topic ${prefix}.state.changes does not exist`,
          `topic ${prefix}.dead-letters has 1 partition; the system needs at least 2 (BUS_PARTITIONS)`,
        ].join('; '),
    );
  });

  test('the topics the bus creates pass its own check, their settings set on each topic', async () => {
    const prefix = freshPrefix('own');
    const names = Object.values(topicNames(prefix));
    created.push(...names);
    await bus(prefix, 'true').ensureTopics(names);
    await bus(prefix, 'false').ensureTopics(names);
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [topicNames(prefix).projects, topicNames(prefix).stateChanges].map((name) => ({
        type: kafkajs.ConfigResourceTypes.TOPIC,
        name,
        configNames: KEPT_FOR_EVER.map(({ name: setting }) => setting),
      })),
    });
    const byName = (a: { configName: string }, b: { configName: string }) =>
      a.configName.localeCompare(b.configName);
    assert.equal(resources.length, 2);
    for (const { resourceName, configEntries } of resources)
      assert.deepEqual(
        configEntries
          .map(({ configName, configValue, isDefault }) => ({ configName, configValue, isDefault }))
          .sort(byName),
        KEPT_FOR_EVER.map(({ name, value }) => ({
          configName: name,
          configValue: value,
          isDefault: false,
        })).sort(byName),
        resourceName,
      );
  });

  const buses: EventBus[] = [];
  after(() => Promise.all(buses.map((each) => each.close())));

  /**
   * A bus as an app builds it. The Kafka bus uses its DataSource only inside a handler's
   * transaction(), which this never opens, so it is never connected.
   */
  function bus(prefix: string, createTopics: 'true' | 'false'): EventBus {
    const config = loadConfig(PlatformConfig, {
      DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused',
      KAFKA_BROKERS: real!,
      KAFKA_CREATE_TOPICS: createTopics,
      BUS_PARTITIONS: String(PARTITIONS),
      TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'error',
    });
    const dataSource = createDataSource({
      url: config.DATABASE_URL,
      applicationName: 'test',
      entities: [],
      migrations: [],
    });
    const created = createEventBus(busSettings(config, 'topic-check-test'), dataSource);
    buses.push(created);
    return created;
  }
});
