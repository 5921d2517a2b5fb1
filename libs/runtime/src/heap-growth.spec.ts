import assert from 'node:assert/strict';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { collectOnceStarted } from './heap-growth.js';

/** The full (mark-compact) collections V8 reports while `run` runs, and a tick after. */
async function fullCollectionsDuring(run: () => void): Promise<number> {
  const entries: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  run();
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return entries.filter(
    (entry) =>
      (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ===
      constants.NODE_PERFORMANCE_GC_MAJOR,
  ).length;
}

describe('collectOnceStarted', () => {
  test('runs one full collection when the app manages its heap growth, none at 0 (V8 picks)', async () => {
    assert.equal(await fullCollectionsDuring(() => collectOnceStarted(0)), 0);
    assert.equal(await fullCollectionsDuring(() => collectOnceStarted(25)), 1);
  });
});
