import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SendWakeups, type WakeReason } from './send-wakeups.js';

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

  test('a ring of any reason ends a sleep under way at once, not at the poll', async () => {
    const reasons: WakeReason[] = ['deliveries-queued', 'outcomes-recorded', 'slot-freed', 'stopping'];
    for (const reason of reasons) {
      const wakeups = new SendWakeups();
      const sleeping = wakeups.sleep(LONG_POLL_MS).then(() => 'woke' as const);
      await new Promise((resolve) => setTimeout(resolve, 10));
      wakeups.ring(reason);
      const rang = Date.now();
      const ended = await Promise.race([sleeping, settledAfter(1_000)]);
      assert.equal(ended, 'woke', `${reason} did not end the sleep within 1 s`);
      assert.ok(Date.now() - rang < 1_000);
    }
  });

  test('rings while the loop is busy wake one sleep, not several', async () => {
    const wakeups = new SendWakeups();
    wakeups.ring('slot-freed');
    wakeups.ring('slot-freed');
    await wakeups.sleep(LONG_POLL_MS);
    const started = Date.now();
    await wakeups.sleep(100);
    assert.ok(Date.now() - started >= 90);
  });
});

/** Resolves `'still asleep'` after `ms`, without keeping the process alive for it. */
function settledAfter(ms: number): Promise<'still asleep'> {
  return new Promise((resolve) => setTimeout(() => resolve('still asleep'), ms).unref());
}
