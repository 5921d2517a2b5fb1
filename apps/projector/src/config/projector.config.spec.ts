import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '@hub/config';
import { ProjectorConfig } from './projector.config.js';

const BASE = { DATABASE_URL: 'postgres://localhost/hub', SECRETS_KEY: Buffer.alloc(32).toString('base64') };

test('UNIFIED_RECORDS is on unless set off, and anything else is refused by name at start-up', () => {
  assert.equal(loadConfig(ProjectorConfig, BASE).UNIFIED_RECORDS, 'on');
  assert.equal(loadConfig(ProjectorConfig, { ...BASE, UNIFIED_RECORDS: 'off' }).UNIFIED_RECORDS, 'off');
  assert.throws(
    () => loadConfig(ProjectorConfig, { ...BASE, UNIFIED_RECORDS: 'maybe' }),
    /UNIFIED_RECORDS.*must be on or off/,
  );
});
