import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PartitionWakeUps, partitionId } from './postgres-log.wake-ups.js';

const EVERY_MS = 1_000;

/** A consumer of `orders` and `orders.retry` whose start-up check has been taken. */
function started(): PartitionWakeUps {
  const wakeUps = new PartitionWakeUps(['orders', 'orders.retry'], EVERY_MS);
  assert.equal(wakeUps.take(0).all, true, 'the first poll checks everything');
  return wakeUps;
}

test('a partition notification marks that partition of one of its topics, and nothing else', () => {
  const wakeUps = started();
  assert.equal(wakeUps.notice(partitionId('orders', 3)), true);
  assert.equal(wakeUps.notice('orders.retry/0'), true);
  assert.equal(wakeUps.notice('invoices/3'), false, "another consumer's topic");
  assert.equal(wakeUps.notice('orders.retr/1'), false, 'a prefix of its topic is another topic');
  assert.equal(wakeUps.notice(undefined), false);
  assert.deepEqual(wakeUps.take(10), { all: false, marked: new Set(['orders/3', 'orders.retry/0']) });
});

test('a notification naming a topic alone, as earlier versions send, checks every partition', () => {
  const wakeUps = started();
  assert.equal(wakeUps.notice('invoices'), false);
  assert.equal(wakeUps.take(10).all, false);
  assert.equal(wakeUps.notice('orders'), true);
  assert.equal(wakeUps.take(20).all, true);
});

test('take forgets the marks, so a notification during the read marks its partition again', () => {
  const wakeUps = started();
  wakeUps.notice('orders/1');
  assert.deepEqual([...wakeUps.take(10).marked], ['orders/1']);
  assert.deepEqual([...wakeUps.take(20).marked], [], 'nothing notified since');
  wakeUps.notice('orders/1');
  wakeUps.mark(partitionId('orders', 2));
  assert.deepEqual([...wakeUps.take(30).marked].sort(), ['orders/1', 'orders/2']);
});

test('every partition is checked again at least once per interval, however busy the notifications', () => {
  const wakeUps = started();
  for (let at = 100; at < EVERY_MS; at += 100) {
    wakeUps.notice('orders/0');
    assert.equal(wakeUps.take(at).all, false, `at ${at} ms`);
  }
  wakeUps.notice('orders/0');
  const due = wakeUps.take(EVERY_MS);
  assert.equal(due.all, true);
  assert.deepEqual([...due.marked], ['orders/0'], 'the marks still come with it');
  assert.equal(wakeUps.take(EVERY_MS + 1).all, false, 'and then not until the next interval');
});

test('checkAll makes the next poll check every partition at once', () => {
  const wakeUps = started();
  wakeUps.checkAll();
  assert.equal(wakeUps.take(1).all, true);
  assert.equal(wakeUps.take(2).all, false);
});
