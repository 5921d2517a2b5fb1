import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SendWakeups } from './send-wakeups.js';

const LONG_POLL_MS = 60_000;

describe('send wakeups', () => {
  test('a ring while the loop is busy is kept: the next sleep returns at once, the one after waits', async () => {
    const wakeups = new SendWakeups();
    wakeups.ring('deliveries-queued');
    const started = Date.now();
    await wakeups.sleep(LONG_POLL_MS);
    assert.ok(Date.now() - started < 1_000);
    let woke = false;
    const sleeping = wakeups.sleep(50).then(() => (woke = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(woke, false);
    await sleeping;
  });

  test('a ring ends a sleep under way, and each reason is counted', async () => {
    const wakeups = new SendWakeups();
    const sleeping = wakeups.sleep(LONG_POLL_MS);
    wakeups.ring('outcomes-recorded');
    await sleeping;
    wakeups.ring('slot-freed');
    wakeups.ring('slot-freed');
    await wakeups.sleep(LONG_POLL_MS);
    assert.deepEqual(wakeups.rung, {
      'deliveries-queued': 0,
      'outcomes-recorded': 1,
      'slot-freed': 2,
      stopping: 0,
    });
  });
});
