import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bestRound, type CapacityFigures } from './system-run.js';

function round(requestsPerSecond: number, p99Ms: number): CapacityFigures {
  return { concurrency: 32, seconds: 3.3, requestsPerSecond, p99Ms, failed: 0 };
}

describe('an HTTP ceiling measured in rounds', () => {
  it('is its best round, with that round’s latency and every round’s rate in the order run', () => {
    const best = bestRound([round(8_721, 9), round(10_839, 6), round(9_950, 7)]);
    assert.equal(best.requestsPerSecond, 10_839);
    assert.equal(best.p99Ms, 6);
    assert.deepEqual(best.roundsPerSecond, [8_721, 10_839, 9_950]);
  });

  it('of one round is that round', () => {
    assert.deepEqual(bestRound([round(5_000, 4)]), { ...round(5_000, 4), roundsPerSecond: [5_000] });
  });

  it('needs a round', () => {
    assert.throws(() => bestRound([]), /at least one round/);
  });
});
