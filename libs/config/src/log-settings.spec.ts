import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from './config.loader.js';
import { PlatformConfig } from './platform.config.js';

const valid = { DATABASE_URL: 'postgres://hub@127.0.0.1:5432/hub' };

describe('LOG_LEVEL and LOG_FORMAT', () => {
  test("takes pino's level names, info among them, and Nest's log", () => {
    for (const level of ['fatal', 'error', 'warn', 'info', 'log', 'debug', 'trace', 'silent'] as const) {
      assert.equal(loadConfig(PlatformConfig, { ...valid, LOG_LEVEL: level }).LOG_LEVEL, level);
    }
    assert.equal(loadConfig(PlatformConfig, valid).LOG_LEVEL, 'info');
  });

  test('refuses any other level, naming LOG_LEVEL and the names it takes', () => {
    for (const level of ['verbose', 'INFO', 'warning', 'info ']) {
      assert.throws(() => loadConfig(PlatformConfig, { ...valid, LOG_LEVEL: level }), {
        name: 'ConfigError',
        message: /^LOG_LEVEL: must be one of fatal, error, warn, info, log, debug, trace, silent/,
      });
    }
  });

  test('takes json or text as LOG_FORMAT and refuses anything else by name', () => {
    assert.equal(loadConfig(PlatformConfig, { ...valid, LOG_FORMAT: 'json' }).LOG_FORMAT, 'json');
    assert.equal(loadConfig(PlatformConfig, { ...valid, LOG_FORMAT: 'text' }).LOG_FORMAT, 'text');
    assert.throws(
      () => loadConfig(PlatformConfig, { ...valid, LOG_FORMAT: 'pretty' }),
      /^ConfigError: LOG_FORMAT: /,
    );
  });
});
