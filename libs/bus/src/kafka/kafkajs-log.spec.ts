import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { logLevel, type LogEntry } from 'kafkajs';
import { kafkajsEntryLevel, kafkajsLogLevel } from './kafkajs-log.js';

/** An entry as kafkajs hands it to a log creator (the messages are kafkajs's own). */
function entry(level: logLevel, namespace: string, log: { message: string; error?: string }): LogEntry {
  return {
    namespace,
    level,
    label: logLevel[level],
    log: { timestamp: '', logger: 'kafkajs', ...log },
  } as LogEntry;
}

const REBALANCE_ERROR = 'The group is rebalancing, so a rejoin is needed';

describe('kafkajs logs', () => {
  test('a routine rebalance is info once, and debug for each request it interrupts', () => {
    assert.equal(
      kafkajsEntryLevel(
        entry(logLevel.WARN, 'Runner', {
          message: 'The group is rebalancing, re-joining',
          error: REBALANCE_ERROR,
        }),
      ),
      'log',
    );
    assert.equal(
      kafkajsEntryLevel(
        entry(logLevel.ERROR, 'Connection', {
          message: 'Response Heartbeat(key: 12, version: 3)',
          error: REBALANCE_ERROR,
        }),
      ),
      'debug',
    );
    assert.equal(
      kafkajsEntryLevel(entry(logLevel.ERROR, 'Consumer', { message: 'Restarting the consumer in 300ms' })),
      'log',
    );
    assert.equal(
      kafkajsEntryLevel(
        entry(logLevel.ERROR, 'Runner', {
          message: 'The coordinator is not aware of this member, re-joining the group',
        }),
      ),
      'log',
    );
  });

  test('a real failure keeps its level; kafkajs info is debug; its crash line is left to ours', () => {
    assert.equal(
      kafkajsEntryLevel(
        entry(logLevel.ERROR, 'BrokerPool', {
          message: 'Failed to connect to seed broker',
          error: 'ECONNREFUSED',
        }),
      ),
      'error',
    );
    assert.equal(
      kafkajsEntryLevel(entry(logLevel.WARN, 'Admin', { message: 'Could not create topics' })),
      'warn',
    );
    assert.equal(
      kafkajsEntryLevel(entry(logLevel.INFO, 'ConsumerGroup', { message: 'Consumer has joined the group' })),
      'debug',
    );
    assert.equal(
      kafkajsEntryLevel(
        entry(logLevel.ERROR, 'Consumer', { message: 'Crash: KafkaJSNumberOfRetriesExceeded: x' }),
      ),
      'debug',
    );
  });

  test("kafkajs's own level follows LOG_LEVEL", () => {
    assert.equal(kafkajsLogLevel('silent'), logLevel.NOTHING);
    assert.equal(kafkajsLogLevel('error'), logLevel.ERROR);
    assert.equal(kafkajsLogLevel('warn'), logLevel.WARN);
    assert.equal(kafkajsLogLevel('info'), logLevel.WARN);
    assert.equal(kafkajsLogLevel('log'), logLevel.WARN);
    assert.equal(kafkajsLogLevel('debug'), logLevel.INFO);
    assert.equal(kafkajsLogLevel('trace'), logLevel.DEBUG);
  });
});
