import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { roundsBetween } from './round-metrics.js';
import type { Sample } from '../../test/support/prometheus.js';

function scrape(group: string, rounds: number, messages: Record<string, number>): Sample[] {
  return [
    { name: 'hub_bus_handler_duration_seconds_count', labels: { group }, value: rounds },
    ...Object.entries(messages).map(([topic, value]) => ({
      name: 'hub_bus_messages_handled_total',
      labels: { group, topic, outcome: 'handled' },
      value,
    })),
  ];
}

describe("a consumer group's rounds between two scrapes", () => {
  it('count its committed batches and the messages of all its topics', () => {
    const before = [
      ...scrape('projector', 10, { projects: 40, customers: 5 }),
      ...scrape('slow', 3, { p: 3 }),
    ];
    const after = [
      ...scrape('projector', 30, { projects: 200, customers: 25 }),
      ...scrape('slow', 3, { p: 3 }),
    ];
    assert.deepEqual(roundsBetween(before, after), { projector: { rounds: 20, messages: 180 } });
  });

  it('count from zero without an earlier scrape, and are none without a later one', () => {
    assert.deepEqual(roundsBetween(undefined, scrape('dispatcher', 4, { changes: 9 })), {
      dispatcher: { rounds: 4, messages: 9 },
    });
    assert.deepEqual(roundsBetween(scrape('dispatcher', 4, { changes: 9 }), undefined), {});
  });
});
