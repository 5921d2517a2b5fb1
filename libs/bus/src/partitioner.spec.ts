import assert from 'node:assert/strict';
import { test } from 'node:test';
import { partitionForKey } from './partitioner.js';

test('sends one key always to the same partition, within range', () => {
  for (const key of ['tenant-1/pylon-observer:ndd1MMGi', '', 'ü/ß', 'x'.repeat(500)]) {
    const partition = partitionForKey(key, 8);
    assert.ok(Number.isInteger(partition) && partition >= 0 && partition < 8);
    assert.equal(partitionForKey(key, 8), partition);
  }
});

test('spreads many keys over every partition', () => {
  const counts = new Array<number>(8).fill(0);
  for (let i = 0; i < 8_000; i++) counts[partitionForKey(`tenant/entity-${i}`, 8)]! += 1;
  for (const count of counts) assert.ok(count > 700 && count < 1_300, `uneven spread: ${counts.join(',')}`);
});
