import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sampleSum, samplesOf } from './metrics-exposition.js';

const EXPOSITION = [
  '# HELP hub_bus_append_messages Messages per append.',
  '# TYPE hub_bus_append_messages histogram',
  'hub_bus_append_messages_sum{transport="postgres-log"} 30',
  'hub_bus_append_messages_sum{transport="kafka"} 12',
  'hub_bus_append_messages_sum_other 99',
  'hub_events_total{reason="a \\"quoted\\" one",app="ingest"} 4',
  'hub_plain 7',
].join('\n');

describe('metrics-exposition', () => {
  it('reads every sample of a name with its labels, escapes undone', () => {
    assert.deepEqual(samplesOf(EXPOSITION, 'hub_events_total'), [
      { labels: { reason: 'a "quoted" one', app: 'ingest' }, value: 4 },
    ]);
    assert.deepEqual(samplesOf(EXPOSITION, 'hub_plain'), [{ labels: {}, value: 7 }]);
  });

  it('sums a name over its label sets, and not a longer name that starts with it', () => {
    assert.equal(sampleSum(EXPOSITION, 'hub_bus_append_messages_sum'), 42);
    assert.equal(sampleSum(EXPOSITION, 'hub_missing'), undefined);
  });
});
