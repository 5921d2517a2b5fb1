import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TopicCheckError } from '@hub/bus';
import { ConfigError, loadConfig, PlatformConfig } from '@hub/config';
import { busSettings, topicsUnusable } from './platform.js';

const valid = { DATABASE_URL: 'postgres://hub@127.0.0.1:5432/hub', KAFKA_BROKERS: 'kafka:9092' };
const config = (env: Record<string, string> = {}) => loadConfig(PlatformConfig, { ...valid, ...env });

describe("a consumer's fetch", () => {
  test('the bus is given the fetch settings, their defaults, and a partition bound that follows a smaller fetch', () => {
    assert.deepEqual(busSettings(config(), 'test').kafkaFetch, {
      maxWaitMs: 50,
      maxBytes: 1024 * 1024,
      maxPartitionBytes: 256 * 1024,
    });
    const set = { KAFKA_FETCH_MAX_WAIT_MS: '20', KAFKA_FETCH_MAX_BYTES: '65536' };
    assert.deepEqual(busSettings(config(set), 'test').kafkaFetch, {
      maxWaitMs: 20,
      maxBytes: 65_536,
      maxPartitionBytes: 65_536,
    });
    const both = { ...set, KAFKA_FETCH_MAX_PARTITION_BYTES: '4096' };
    assert.equal(busSettings(config(both), 'test').kafkaFetch.maxPartitionBytes, 4_096);
  });
});

describe('topics someone else created', () => {
  test('the bus is told to check them, and which topics a rebuild reads', () => {
    const settings = busSettings(config({ KAFKA_CREATE_TOPICS: 'false', TOPIC_PREFIX: 'acme' }), 'test');
    assert.equal(settings.kafkaCreateTopics, false);
    assert.equal(settings.kafkaCheckTopics, true);
    assert.deepEqual(settings.keptForever, [
      'acme.canonical.projects',
      'acme.canonical.customers',
      'acme.canonical.monitoring',
      'acme.canonical.projects.slow',
      'acme.canonical.customers.slow',
      'acme.canonical.monitoring.slow',
    ]);
  });

  test('what falls short stops start-up on one line naming KAFKA_CREATE_TOPICS', () => {
    const error = topicsUnusable(
      config({ KAFKA_CREATE_TOPICS: 'false' }),
      new TopicCheckError([
        'topic hub.canonical.projects has retention.ms=604800000; a rebuild needs -1 (keep for ever)',
        'topic hub.state.changes does not exist',
      ]),
    );
    assert.ok(error instanceof ConfigError);
    assert.equal(
      error.message,
      'KAFKA_CREATE_TOPICS=false: topic hub.canonical.projects has retention.ms=604800000; a rebuild needs -1 (keep for ever); topic hub.state.changes does not exist',
    );
  });

  test('a check that could not run says so, and is not blamed on a setting', () => {
    const refused = new Error('Topic authorization failed');
    const error = topicsUnusable(config({ KAFKA_CREATE_TOPICS: 'false' }), refused);
    assert.ok(!(error instanceof ConfigError));
    assert.equal(error.message, 'the bus could not check its topics: Topic authorization failed');
    assert.equal(error.cause, refused);
    assert.equal(
      topicsUnusable(config(), refused).message,
      'the bus could not create its topics: Topic authorization failed',
    );
  });
});
