import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrometheusText } from '../../test/support/prometheus.js';
import { gcBetween, gcTotals } from './gc-metrics.js';

/** prom-client's own exposition of the histogram, as the apps serve it (buckets cut short). */
function exposition(minor: [number, number], major: [number, number]) {
  return parsePrometheusText(
    [
      '# HELP nodejs_gc_duration_seconds Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
      '# TYPE nodejs_gc_duration_seconds histogram',
      `nodejs_gc_duration_seconds_bucket{le="0.001",app="ingest",kind="minor"} 3`,
      `nodejs_gc_duration_seconds_sum{app="ingest",kind="minor"} ${minor[0]}`,
      `nodejs_gc_duration_seconds_count{app="ingest",kind="minor"} ${minor[1]}`,
      `nodejs_gc_duration_seconds_sum{app="ingest",kind="major"} ${major[0]}`,
      `nodejs_gc_duration_seconds_count{app="ingest",kind="major"} ${major[1]}`,
      'nodejs_gc_duration_seconds_sum_total{kind="minor"} 99',
      'process_cpu_seconds_total{app="ingest"} 12.5',
    ].join('\n'),
  );
}

describe('gc-metrics', () => {
  it('reads the sum and count of each kind, and nothing of other metrics', () => {
    assert.deepEqual(gcTotals(exposition([0.5, 100], [0.25, 4])), {
      minor: { seconds: 0.5, count: 100 },
      major: { seconds: 0.25, count: 4 },
    });
  });

  it('has no totals for an app without the histogram', () => {
    assert.equal(gcTotals(parsePrometheusText('process_cpu_seconds_total 3\n')), undefined);
  });

  it('gives the pauses between two scrapes per accepted request and the collections per second', () => {
    const before = gcTotals(exposition([0.5, 100], [0.25, 4]));
    const after = gcTotals(exposition([2.5, 400], [0.45, 10]));
    const figures = gcBetween(before, after, 1_000, 30);
    assert.ok(figures);
    assert.ok(Math.abs(figures.msPerRequest - 2.2) < 1e-9);
    assert.ok(Math.abs(figures.byKind['minor']!.msPerRequest - 2) < 1e-9);
    assert.equal(figures.byKind['minor']!.perSecond, 10);
    assert.ok(Math.abs(figures.byKind['major']!.msPerRequest - 0.2) < 1e-9);
    assert.equal(figures.byKind['major']!.perSecond, 0.2);
  });

  it('gives nothing when a scrape is missing or no request was accepted', () => {
    const totals = gcTotals(exposition([0.5, 100], [0.25, 4]));
    assert.equal(gcBetween(undefined, totals, 10, 1), undefined);
    assert.equal(gcBetween(totals, totals, 0, 1), undefined);
  });
});
