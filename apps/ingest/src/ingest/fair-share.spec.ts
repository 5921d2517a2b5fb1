import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IngestConfig } from '../config/ingest.config.js';
import { FairShare, TenantQueueFullException } from './fair-share.js';

const config = Object.assign(new IngestConfig(), {
  INGEST_TENANT_CONCURRENCY: 2,
  INGEST_TENANT_EVENT_RATE: 10,
  INGEST_TENANT_EVENT_BURST: 100,
  // No rest on the slow lane here, so the tests see slot hand-overs at once; one test sets it.
  INGEST_SLOW_LANE_PERCENT: 100,
  INGEST_TENANT_QUEUE: 3,
});
const T0 = Date.parse('2026-12-03T10:00:00Z');

/** A request that runs until the test lets it finish. */
function held() {
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { finish, work: () => done };
}

describe('fair share', () => {
  test('a tenant has at most its concurrency in flight; its next request waits; other tenants never do', async () => {
    const share = new FairShare(config);
    const started: string[] = [];
    const requests = [held(), held(), held()];
    const running = requests.map((request, i) =>
      share.run('flooder', async () => {
        started.push(`flooder-${i}`);
        await request.work();
      }),
    );
    await share.run('bystander', async () => void started.push('bystander'));
    assert.deepEqual(started, ['flooder-0', 'flooder-1', 'bystander']);
    requests[0]!.finish();
    await running[0];
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, ['flooder-0', 'flooder-1', 'bystander', 'flooder-2'], 'the next in line');
    requests[1]!.finish();
    requests[2]!.finish();
    await Promise.all(running);
  });

  test('a tenant on the slow lane has one slot, and gets its slots back in order', async () => {
    const share = new FairShare(config);
    assert.equal(share.laneFor('flooder', 101), 'slow');
    const started: number[] = [];
    const requests = [held(), held(), held()];
    const running = requests.map((request, i) =>
      share.run('flooder', async () => {
        started.push(i);
        await request.work();
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, [0], 'one at a time on the slow lane');
    requests[0]!.finish();
    await running[0];
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, [0, 1]);
    requests[1]!.finish();
    requests[2]!.finish();
    await Promise.all(running);
    assert.deepEqual(started, [0, 1, 2]);
  });

  test('on the slow lane the slot rests as long as the request worked, at 50 %', async () => {
    const share = new FairShare(
      Object.assign(new IngestConfig(), { ...config, INGEST_SLOW_LANE_PERCENT: 50 }),
    );
    assert.equal(share.laneFor('flooder', 101), 'slow');
    const work = () => new Promise<void>((resolve) => setTimeout(resolve, 60));
    const first = share.run('flooder', work);
    let secondStarted = 0;
    const second = share.run('flooder', async () => void (secondStarted = performance.now()));
    await first;
    const firstAnswered = performance.now();
    await second;
    assert.ok(
      secondStarted - firstAnswered >= 45,
      `rested ${secondStarted - firstAnswered} ms after 60 ms of work`,
    );
  });

  test('a source that asks for retry-later is told how long, and is let in again once the bucket is full', () => {
    const share = new FairShare(config);
    assert.equal(share.secondsUntilShare('a', 60, T0), 0, 'within the share: taken');
    assert.equal(share.secondsUntilShare('a', 60, T0), 2, '40 left, 20 more at 10/s');
    // Another source of the tenant put it on the slow lane: back only with a full bucket.
    assert.equal(share.laneFor('a', 50, T0), 'slow');
    assert.equal(share.secondsUntilShare('a', 1, T0), 10);
    assert.equal(share.secondsUntilShare('a', 1, T0 + 10_000), 0, 'full again: off the slow lane');
  });

  test("beyond INGEST_TENANT_QUEUE waiting requests, the tenant's next one is refused with 503, others are not", async () => {
    const share = new FairShare(config);
    const requests = Array.from({ length: 5 }, () => held());
    const running = requests.map((request) => share.run('flooder', request.work));
    await assert.rejects(
      share.run('flooder', async () => undefined),
      TenantQueueFullException,
    );
    await share.run('bystander', async () => undefined);
    requests.forEach((request) => request.finish());
    await Promise.all(running);
  });

  test('events within the burst take the main lane; beyond it the slow lane, until the bucket is full again', () => {
    const share = new FairShare(config);
    assert.equal(share.laneFor('a', 100, T0), 'main');
    assert.equal(share.laneFor('a', 1, T0), 'slow');
    // Refilling at 10/s: not full after 5 s, so the tenant stays on the slow lane.
    assert.equal(share.laneFor('a', 1, T0 + 5_000), 'slow');
    assert.equal(share.laneFor('b', 50, T0 + 5_000), 'main', 'every tenant has its own share');
    // 10 s without sending refills it completely: back on the main lane.
    assert.equal(share.laneFor('a', 1, T0 + 16_000), 'main');
  });

  test('one request larger than the burst goes to the slow lane whole', () => {
    assert.equal(new FairShare(config).laneFor('a', 101, T0), 'slow');
  });
});
