import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TopicMessages } from './bus.port.js';
import { GroupCommit, type GroupCommitOptions } from './group-commit.js';

/** The appends a GroupCommit made, each held open until the test lets it finish. */
class RecordingAppender {
  readonly appends: TopicMessages[][] = [];
  private readonly pending: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];

  readonly append = (batches: TopicMessages[]) => {
    this.appends.push(batches);
    return new Promise<void>((resolve, reject) => this.pending.push({ resolve, reject }));
  };

  finishNext(error?: Error): void {
    const next = this.pending.shift();
    assert.ok(next, 'an append is in flight');
    if (error) next.reject(error);
    else next.resolve();
  }
}

const options: GroupCommitOptions = { lingerMs: 0, maxMessages: 1_000, maxBytes: 1_000_000 };
const one = (topic: string, value: string): TopicMessages[] => [{ topic, messages: [{ key: 'k', value }] }];
const values = (batches: TopicMessages[]) => batches.map((b) => [b.topic, b.messages.map((m) => m.value)]);
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  test('calls of one turn make one append, topics merged in call order', async () => {
    const appender = new RecordingAppender();
    const group = new GroupCommit('test', appender.append, options);
    const calls = [group.publish(one('a', '1')), group.publish(one('b', '2')), group.publish(one('a', '3'))];
    await turn();
    assert.deepEqual(values(appender.appends[0]!), [
      ['a', ['1', '3']],
      ['b', ['2']],
    ]);
    appender.finishNext();
    await Promise.all(calls);
    assert.equal(appender.appends.length, 1);
  });

  test('one append at a time: calls made meanwhile wait, then go together', async () => {
    const appender = new RecordingAppender();
    const group = new GroupCommit('test', appender.append, options);
    const first = group.publish(one('a', '1'));
    await turn();
    const later = [group.publish(one('a', '2')), group.publish(one('a', '3'))];
    await turn();
    assert.equal(appender.appends.length, 1, 'no second append while the first is in flight');
    appender.finishNext();
    await first;
    assert.deepEqual(values(appender.appends[1]!), [['a', ['2', '3']]]);
    appender.finishNext();
    await Promise.all(later);
  });

  test('a failed append rejects every one of its callers and none of the next append', async () => {
    const appender = new RecordingAppender();
    const group = new GroupCommit('test', appender.append, options);
    const failing = [group.publish(one('a', '1')), group.publish(one('a', '2'))];
    await turn();
    const next = group.publish(one('a', '3'));
    appender.finishNext(new Error('disk full'));
    const outcomes = await Promise.allSettled(failing);
    assert.deepEqual(
      outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : o.status)),
      ['disk full', 'disk full'],
    );
    await turn();
    appender.finishNext();
    await next;
  });

  test('the size bound splits between callers, never inside one', async () => {
    const appender = new RecordingAppender();
    const group = new GroupCommit('test', appender.append, { ...options, maxMessages: 3 });
    const big: TopicMessages[] = [
      { topic: 'a', messages: ['1', '2', '3', '4'].map((value) => ({ key: 'k', value })) },
    ];
    const calls = [group.publish(one('a', '0')), group.publish(big), group.publish(one('a', '5'))];
    await turn();
    assert.deepEqual(values(appender.appends[0]!), [['a', ['0']]]);
    appender.finishNext();
    await turn();
    assert.deepEqual(values(appender.appends[1]!), [['a', ['1', '2', '3', '4']]]);
    appender.finishNext();
    await turn();
    assert.deepEqual(values(appender.appends[2]!), [['a', ['5']]]);
    appender.finishNext();
    await Promise.all(calls);
  });

  test('with a linger window, calls within it share the append', async () => {
    const appender = new RecordingAppender();
    const group = new GroupCommit('test', appender.append, { ...options, lingerMs: 30 });
    const first = group.publish(one('a', '1'));
    await turn();
    const second = group.publish(one('a', '2'));
    assert.equal(appender.appends.length, 0, 'the window is still open');
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.deepEqual(values(appender.appends[0]!), [['a', ['1', '2']]]);
    appender.finishNext();
    await Promise.all([first, second]);
  });
});
