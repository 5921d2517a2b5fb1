import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CanonicalEventMessage, isCanonicalEvent } from './canonical-event.dto.js';

const valid: Record<string, unknown> = {
  specversion: '1.0',
  id: `evt_${'a'.repeat(32)}`,
  source: '/sources/src_test',
  type: 'project.upserted',
  subject: 'pylon-observer:p-1',
  time: '2026-11-22T10:00:00.000Z',
  datacontenttype: 'application/json',
  tenant: '6f1c2f4e-8a3b-4c5d-9e6f-7a8b9c0d1e2f',
  provider: 'pylon-observer',
  data: { stage: 'Lead' },
};

/** One broken field each: a missing value, a wrong type, a value outside the rule. */
const broken: Array<Record<string, unknown>> = [
  { specversion: '1.1' },
  { specversion: undefined },
  { id: 'evt_short' },
  { id: 42 },
  { source: 7 },
  { source: undefined },
  { type: 'has space' },
  { type: 'x'.repeat(101) },
  { subject: 'no-colon' },
  { subject: ['pylon-observer:p-1'] },
  { time: 'yesterday' },
  { time: 1_700_000_000_000 },
  { tenant: 'not-a-uuid' },
  { provider: 'nobody' },
  { data: [] },
  { data: null },
  { data: 'text' },
];

const byDecorators = (body: Record<string, unknown>) =>
  validateSync(plainToInstance(CanonicalEventMessage, body), { forbidUnknownValues: false }).length === 0;

test('the fast check accepts what the decorators accept', () => {
  assert.equal(byDecorators(valid), true);
  assert.equal(isCanonicalEvent(valid), true);
  assert.equal(isCanonicalEvent({ ...valid, extra: 'kept', data: {} }), true);
});

test('the fast check rejects every event the decorators reject', () => {
  for (const change of broken) {
    const body = { ...valid, ...change };
    assert.equal(byDecorators(body), false, JSON.stringify(change));
    assert.equal(isCanonicalEvent(body), false, JSON.stringify(change));
  }
});
