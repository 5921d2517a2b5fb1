import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AttemptResult } from '../outbound/outbound.client.js';
import { decide } from './retry-policy.js';

const SCHEDULE = { schedule: [5_000, 300_000, 1_800_000], jitter: 0.2 };
const NOW = Date.parse('2026-11-22T10:00:00Z');
const answer = (statusCode: number | null, retryAfterMs: number | null = null): AttemptResult => ({
  statusCode,
  retryAfterMs,
  durationMs: 3,
  error: statusCode === null ? 'ECONNREFUSED' : null,
  responseBody: '',
});
const waitOf = (decision: ReturnType<typeof decide>) => {
  assert.equal(decision.kind, 'retry');
  return (decision as { at: Date }).at.getTime() - NOW;
};

describe('retry policy', () => {
  test('any 2xx succeeds', () => {
    for (const code of [200, 201, 202, 204, 299])
      assert.equal(decide(answer(code), 0, SCHEDULE, NOW).kind, 'succeeded');
  });

  test('410 Gone stops at once', () => {
    assert.equal(decide(answer(410), 0, SCHEDULE, NOW).kind, 'gone');
  });

  test('follows the schedule, then is exhausted after one attempt more than entries', () => {
    assert.equal(waitOf(decide(answer(500), 0, SCHEDULE, NOW, () => 0.5)), 5_000);
    assert.equal(waitOf(decide(answer(null), 1, SCHEDULE, NOW, () => 0.5)), 300_000);
    assert.equal(waitOf(decide(answer(302), 2, SCHEDULE, NOW, () => 0.5)), 1_800_000);
    assert.equal(decide(answer(500), 3, SCHEDULE, NOW).kind, 'exhausted');
  });

  test('jitter stays within ±20 %', () => {
    assert.equal(waitOf(decide(answer(500), 0, SCHEDULE, NOW, () => 0)), 4_000);
    assert.equal(waitOf(decide(answer(500), 0, SCHEDULE, NOW, () => 1)), 6_000);
  });

  test('Retry-After only lengthens the wait', () => {
    assert.equal(waitOf(decide(answer(429, 60_000), 0, SCHEDULE, NOW, () => 0.5)), 60_000);
    assert.equal(waitOf(decide(answer(503, 1_000), 1, SCHEDULE, NOW, () => 0.5)), 300_000);
  });
});
