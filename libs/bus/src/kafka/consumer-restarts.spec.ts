import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as pause } from 'node:timers/promises';
import { ConsumerRestarts } from './consumer-restarts.js';

function counting(restart: () => Promise<void> = () => Promise.resolve()) {
  const calls = { restarts: 0, failures: [] as unknown[] };
  const restarts = new ConsumerRestarts(
    () => {
      calls.restarts += 1;
      return restart();
    },
    (error) => calls.failures.push(error),
  );
  return { restarts, calls };
}

describe('ConsumerRestarts', () => {
  test('restarts once after the delay', async () => {
    const { restarts, calls } = counting();
    restarts.schedule(10);
    restarts.schedule(10); // a second crash report while one restart is armed adds nothing
    await pause(60);
    assert.equal(calls.restarts, 1);
  });

  test('a restart armed before close never happens', async () => {
    const { restarts, calls } = counting();
    restarts.schedule(20);
    await restarts.close();
    await pause(60);
    assert.equal(calls.restarts, 0);
  });

  test('a crash reported after close schedules nothing', async () => {
    const { restarts, calls } = counting();
    await restarts.close();
    restarts.schedule(1);
    await pause(30);
    assert.equal(calls.restarts, 0);
    assert.equal(restarts.isClosed, true);
  });

  test('close waits for a restart already under way', async () => {
    let finish!: () => void;
    const { restarts } = counting(() => new Promise<void>((resolve) => (finish = resolve)));
    restarts.schedule(1);
    await pause(20);
    let closed = false;
    const closing = restarts.close().then(() => (closed = true));
    await pause(20);
    assert.equal(closed, false, 'close returned while the restart was still running');
    finish();
    await closing;
    assert.equal(closed, true);
  });

  test('a failed restart is reported and tried again, until close', async () => {
    const { restarts, calls } = counting(() => Promise.reject(new Error('broker unreachable')));
    restarts.schedule(5);
    await pause(60);
    assert.ok(calls.restarts >= 2, `tried ${calls.restarts} times`);
    assert.equal(calls.failures.length, calls.restarts);
    await restarts.close();
    const after = calls.restarts;
    await pause(40);
    assert.equal(calls.restarts, after, 'tried again after close');
  });
});
