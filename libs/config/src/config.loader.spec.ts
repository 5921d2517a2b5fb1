import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from './config.loader.js';
import { kafkaFetchPartitionBytes, PlatformConfig } from './platform.config.js';

const valid = { DATABASE_URL: 'postgres://hub@127.0.0.1:5432/hub' };

describe('loadConfig', () => {
  test('applies the documented defaults', () => {
    const config = loadConfig(PlatformConfig, valid);
    assert.equal(config.KAFKA_BROKERS, undefined);
    assert.equal(config.KAFKA_IDEMPOTENT, true);
    assert.equal(config.KAFKA_CREATE_TOPICS, true);
    assert.equal(config.KAFKA_CHECK_TOPICS, true);
    assert.equal(config.BUS_PARTITIONS, 8);
    assert.equal(config.KAFKA_FETCH_MAX_WAIT_MS, 50);
    assert.equal(config.KAFKA_FETCH_MAX_BYTES, 1024 * 1024);
    assert.equal(config.KAFKA_FETCH_MAX_PARTITION_BYTES, undefined);
    assert.equal(kafkaFetchPartitionBytes(config), 256 * 1024);
    assert.equal(config.HEAP_GROWTH_PERCENT, 25);
  });

  test('takes a fetch wait in whole milliseconds, within 1 ms to 30 s', () => {
    const config = loadConfig(PlatformConfig, { ...valid, KAFKA_FETCH_MAX_WAIT_MS: '20' });
    assert.equal(config.KAFKA_FETCH_MAX_WAIT_MS, 20);
    for (const wrong of ['0', '30001', '2.5', 'soon'])
      assert.throws(
        () => loadConfig(PlatformConfig, { ...valid, KAFKA_FETCH_MAX_WAIT_MS: wrong }),
        /^ConfigError: KAFKA_FETCH_MAX_WAIT_MS: /,
      );
  });

  test("takes a fetch's byte bounds, a partition's no larger than the whole fetch", () => {
    const config = loadConfig(PlatformConfig, {
      ...valid,
      KAFKA_FETCH_MAX_BYTES: '65536',
      KAFKA_FETCH_MAX_PARTITION_BYTES: '65536',
    });
    assert.equal(config.KAFKA_FETCH_MAX_BYTES, 65_536);
    assert.equal(kafkaFetchPartitionBytes(config), 65_536);
    // A fetch bound alone, below the partition's default: the partition's follows it down.
    const fetchAlone = loadConfig(PlatformConfig, { ...valid, KAFKA_FETCH_MAX_BYTES: '65536' });
    assert.equal(kafkaFetchPartitionBytes(fetchAlone), 65_536);
    assert.throws(
      () =>
        loadConfig(PlatformConfig, {
          ...valid,
          KAFKA_FETCH_MAX_BYTES: '65536',
          KAFKA_FETCH_MAX_PARTITION_BYTES: '65537',
        }),
      /^ConfigError: KAFKA_FETCH_MAX_PARTITION_BYTES: is 65537, more than KAFKA_FETCH_MAX_BYTES \(65536\), the whole fetch/,
    );
    for (const [name, wrong] of [
      ['KAFKA_FETCH_MAX_BYTES', '1023'],
      ['KAFKA_FETCH_MAX_BYTES', '1 MiB'],
      ['KAFKA_FETCH_MAX_PARTITION_BYTES', '0'],
    ] as const) {
      assert.throws(
        () => loadConfig(PlatformConfig, { ...valid, [name]: wrong }),
        new RegExp(`^ConfigError: ${name}: `),
      );
    }
  });

  test('parses a comma-separated broker list', () => {
    const config = loadConfig(PlatformConfig, { ...valid, KAFKA_BROKERS: 'kafka-1:9092, 10.0.0.2:9093' });
    assert.deepEqual(config.KAFKA_BROKERS, ['kafka-1:9092', '10.0.0.2:9093']);
  });

  test('names the setting that is malformed', () => {
    assert.throws(() => loadConfig(PlatformConfig, { ...valid, KAFKA_BROKERS: 'kafka-1' }), {
      name: 'ConfigError',
      message: 'KAFKA_BROKERS: must be a comma-separated list of host:port',
    });
    assert.throws(
      () => loadConfig(PlatformConfig, { ...valid, BUS_PARTITIONS: 'many' }),
      /^ConfigError: BUS_PARTITIONS: /,
    );
    assert.throws(
      () => loadConfig(PlatformConfig, { ...valid, HEAP_GROWTH_PERCENT: '1000' }),
      /^ConfigError: HEAP_GROWTH_PERCENT: /,
    );
    assert.throws(
      () => loadConfig(PlatformConfig, { ...valid, KAFKA_IDEMPOTENT: 'perhaps' }),
      /KAFKA_IDEMPOTENT: must be true or false/,
    );
  });

  test('reports a missing DATABASE_URL by name', () => {
    assert.throws(
      () => loadConfig(PlatformConfig, {}),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /^DATABASE_URL: /);
        return true;
      },
    );
  });
});
