import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { register, type Histogram } from 'prom-client';
import { BusUnavailableError, type EventBus } from '@hub/bus';
import { stopEmbeddedTestServer } from '../support/database.js';
import { collect, eventually, keyedMessages, pause, unique } from '../support/collector.js';
import { transportCases, type TransportFixture } from '../support/transports.js';
import { testTopic } from '../support/topic-prefix.js';

/**
 * The bus contract, run against every transport: the same test, the transport's name in its title.
 */
const cases = await transportCases();
after(stopEmbeddedTestServer);

for (const transport of cases) {
  describe(
    `event bus conformance [${transport.name}]`,
    { skip: transport.skip ?? false, timeout: 180_000 },
    () => {
      let fixture: TransportFixture;
      let bus: EventBus;

      before(async () => {
        fixture = await transport.setup();
        bus = await fixture.createBus();
      });
      after(() => fixture?.close());

      test(`[${transport.name}] keeps the order of messages with the same key`, async () => {
        const topic = testTopic('order');
        const { collector, subscription } = await collect(bus, unique('g'), [topic]);
        const messages = keyedMessages(300, 3);
        for (let i = 0; i < messages.length; i += 25) await bus.publish(topic, messages.slice(i, i + 25));
        await collector.waitForCount(300);
        await subscription.close();
        const perKey = new Map<string, number[]>();
        for (const message of collector.messages) {
          const [key, sequence] = message.value.toString().split(':');
          perKey.set(key!, [...(perKey.get(key!) ?? []), Number(sequence)]);
        }
        assert.equal(perKey.size, 3);
        for (const sequences of perKey.values()) {
          assert.deepEqual(
            sequences,
            Array.from({ length: 100 }, (_, i) => i),
          );
        }
      });

      test(`[${transport.name}] redelivers a batch whose handler failed`, async () => {
        const topic = testTopic('retry');
        const seen: string[] = [];
        let failuresLeft = 2;
        const subscription = await bus.subscribe({
          groupId: unique('g'),
          topics: [topic],
          handler: async (batch) => {
            const values = batch.map((m) => m.value.toString());
            if (values.includes('m-1') && failuresLeft > 0) {
              failuresLeft -= 1;
              throw new Error('handler failure injected by the test');
            }
            seen.push(...values);
          },
        });
        await bus.publish(
          topic,
          [0, 1, 2].map((i) => ({ key: 'same-key', value: `m-${i}` })),
        );
        await eventually(() => seen.length >= 3);
        await subscription.close();
        assert.equal(failuresLeft, 0, 'the handler was called again after each failure');
        assert.deepEqual(seen, ['m-0', 'm-1', 'm-2']);
      });

      test(`[${transport.name}] rolls back the handler's transaction and redelivers when it fails`, async () => {
        const topic = testTopic('tx');
        await fixture.dataSource.query(`CREATE TABLE IF NOT EXISTS tx_probe (value text)`);
        let attempts = 0;
        const subscription = await bus.subscribe({
          groupId: unique('g'),
          topics: [topic],
          handler: async (batch, context) => {
            await context.transaction(async (manager) => {
              attempts += 1;
              for (const m of batch)
                await manager.query('INSERT INTO tx_probe VALUES ($1)', [m.value.toString()]);
              if (attempts === 1) throw new Error('failure after the writes, injected by the test');
            });
          },
        });
        await bus.publish(topic, [{ key: 'k', value: topic }]);
        const probe = (): Promise<Array<{ value: string }>> =>
          fixture.dataSource.query('SELECT value FROM tx_probe WHERE value = $1', [topic]);
        await eventually(async () => (await probe()).length > 0);
        await pause(300);
        await subscription.close();
        const rows = await probe();
        assert.equal(attempts, 2);
        assert.equal(rows.length, 1, 'the failed attempt left no row, the second left exactly one');
      });

      test(`[${transport.name}] a consumer group resumes from its committed offset after a restart`, async () => {
        const topic = testTopic('resume');
        const groupId = unique('g');
        const first = await collect(bus, groupId, [topic]);
        await bus.publish(
          topic,
          keyedMessages(50, 5).map((m) => ({ ...m, value: `first-${m.value}` })),
        );
        await first.collector.waitForCount(50);
        await first.subscription.close();

        await bus.publish(
          topic,
          keyedMessages(50, 5).map((m) => ({ ...m, value: `second-${m.value}` })),
        );
        const second = await collect(bus, groupId, [topic]);
        await second.collector.waitForCount(50);
        await pause(500);
        await second.subscription.close();
        const values = second.collector.values();
        assert.equal(values.length, 50);
        assert.ok(
          values.every((v) => v.startsWith('second-')),
          'nothing committed before the restart came again',
        );
      });

      test(`[${transport.name}] two consumer groups each see every message`, async () => {
        const topic = testTopic('fanout');
        const a = await collect(bus, unique('group-a'), [topic]);
        const b = await collect(bus, unique('group-b'), [topic]);
        await bus.publish(topic, keyedMessages(100, 10));
        await Promise.all([a.collector.waitForCount(100), b.collector.waitForCount(100)]);
        await Promise.all([a.subscription.close(), b.subscription.close()]);
        const expected = keyedMessages(100, 10)
          .map((m) => String(m.value))
          .sort();
        assert.deepEqual(a.collector.values().sort(), expected);
        assert.deepEqual(b.collector.values().sort(), expected);
      });

      test(`[${transport.name}] consumers of one group split the partitions; one takes over when the other leaves`, async () => {
        const topic = testTopic('split');
        const groupId = unique('g');
        const a = await collect(bus, groupId, [topic]);
        const b = await collect(bus, groupId, [topic]);
        const published: string[] = [];
        const publishRound = async (label: string) => {
          const messages = keyedMessages(32, 16).map((m) => ({ ...m, value: `${label}-${m.value}` }));
          await bus.publish(topic, messages);
          published.push(...messages.map((m) => String(m.value)));
        };
        // Rounds until both have received some: the group spreads the topic's partitions over them.
        let round = 0;
        await eventually(async () => {
          await publishRound(`r${round++}`);
          await pause(500);
          return a.collector.messages.length > 0 && b.collector.messages.length > 0;
        }, 90_000);
        await b.subscription.close();
        await publishRound('after');
        await eventually(
          () => new Set([...a.collector.values(), ...b.collector.values()]).size === published.length,
          90_000,
        );
        await a.subscription.close();
        const afterClose = b.collector.values().filter((value) => value.startsWith('after-'));
        assert.deepEqual(afterClose, [], 'the consumer that left received nothing more');
        assert.deepEqual(
          [...new Set([...a.collector.values(), ...b.collector.values()])].sort(),
          [...published].sort(),
          'every message reached one of the two',
        );
        if (transport.name === 'postgres-log') {
          // Handed over at a committed offset: nothing is delivered twice.
          const all = [...a.collector.values(), ...b.collector.values()];
          assert.equal(all.length, new Set(all).size, 'no message was delivered twice');
        }
      });

      test(`[${transport.name}] round-trips headers, key and a 512 KiB message byte for byte`, async () => {
        const topic = testTopic('large');
        const { collector, subscription } = await collect(bus, unique('g'), [topic]);
        const large = Buffer.alloc(512 * 1024);
        for (let i = 0; i < large.length; i++) large[i] = (i * 31 + 7) % 256;
        const headers = { 'content-type': 'application/cloudevents+json', 'x-trace': 'abc-123', empty: '' };
        await bus.publish(topic, [{ key: 'tenant-1/pylon-observer:ndd1MMGi', value: large, headers }]);
        await collector.waitForCount(1);
        await subscription.close();
        const [message] = collector.messages;
        assert.equal(message!.key, 'tenant-1/pylon-observer:ndd1MMGi');
        assert.deepEqual(message!.headers, headers);
        assert.ok(message!.value.equals(large), 'the 512 KiB value arrived unchanged');
        assert.equal(message!.topic, topic);
        assert.ok(message!.timestamp > Date.now() - 60_000);
      });

      test(`[${transport.name}] reports per partition the offset the next message will get`, async () => {
        const topic = testTopic('offsets');
        await bus.publish(topic, keyedMessages(40, 8));
        const offsets = await bus.latestOffsets(topic);
        assert.ok(offsets.length >= 1);
        assert.equal(
          offsets.reduce((sum, { offset }) => sum + Number(offset), 0),
          40,
        );
        // Nothing deleted: the last message stored is the one before the watermark.
        assert.deepEqual(await bus.storedEndOffsets(topic), offsets);
      });

      test(`[${transport.name}] a handler's transaction publishes to several topics created up front`, async () => {
        const [source, first, second] = [testTopic('source'), testTopic('out'), testTopic('out')];
        await bus.ensureTopics([first, second]);
        await bus.ensureTopics([first, second]);
        const { collector, subscription: outputs } = await collect(bus, unique('g'), [first, second]);
        const forwarder = await bus.subscribe({
          groupId: unique('g'),
          topics: [source],
          handler: async (batch, context) => {
            await context.transaction(async () => {
              await context.publish(
                first,
                batch.map((m) => ({ key: m.key, value: m.value })),
              );
              await context.publish(
                second,
                batch.map((m) => ({ key: m.key, value: m.value })),
              );
            });
          },
        });
        await bus.publish(source, keyedMessages(20, 4));
        await collector.waitForCount(40);
        await forwarder.close();
        await outputs.close();
        assert.deepEqual(
          [first, second].map((topic) => collector.messages.filter((m) => m.topic === topic).length),
          [20, 20],
        );
        await assert.rejects(bus.ensureTopics(['not a topic!']));
      });

      test(`[${transport.name}] a handler's transaction may publish to a topic no one created yet only on Kafka`, async () => {
        const [source, unknown] = [testTopic('source'), testTopic('unknown')];
        const outcomes: string[] = [];
        const subscription = await bus.subscribe({
          groupId: unique('g'),
          topics: [source],
          handler: async (batch, context) => {
            const published = context.transaction(() =>
              context.publish(unknown, [{ key: 'k', value: batch[0]!.value }]),
            );
            outcomes.push(
              await published.then(
                () => 'published',
                (error: Error) => error.message,
              ),
            );
          },
        });
        await bus.publish(source, [{ key: 'k', value: Buffer.from('m') }]);
        await eventually(async () => outcomes.length > 0);
        await subscription.close();
        if (transport.name === 'postgres-log') {
          // Creating it there would wait for the handler's own transaction: a clear error instead.
          assert.match(
            outcomes[0]!,
            new RegExp(`topic ${unknown} does not exist: create it with ensureTopics`),
          );
        } else {
          assert.equal(outcomes[0], 'published');
        }
      });

      test(`[${transport.name}] reports per partition the offset a group committed, none before its first commit`, async () => {
        const topic = testTopic('committed');
        const groupId = unique('g');
        await bus.publish(topic, keyedMessages(40, 8));
        assert.deepEqual(await bus.committedOffsets(groupId, topic), []);
        const { collector, subscription } = await collect(bus, groupId, [topic]);
        await collector.waitForCount(40);
        // A group's offset is committed right after its handler resolved: read it once it is there.
        await eventually(async () => {
          const committed = await bus.committedOffsets(groupId, topic);
          return committed.reduce((sum, { offset }) => sum + Number(offset), 0) === 40;
        }, 10_000);
        await subscription.close();
        assert.deepEqual(
          await bus.committedOffsets(groupId, topic),
          await bus.latestOffsets(topic).then((all) => all.filter(({ offset }) => offset !== '0')),
        );
      });

      test(`[${transport.name}] reports a group's committed offsets per topic: one it has read nothing of has none`, async () => {
        const [read, quiet] = [testTopic('committed'), testTopic('quiet')];
        const groupId = unique('g');
        await bus.ensureTopics([read, quiet]);
        await bus.publish(read, keyedMessages(12, 4));
        const { collector, subscription } = await collect(bus, groupId, [read, quiet]);
        await collector.waitForCount(12);
        await eventually(async () => {
          const committed = await bus.committedOffsets(groupId, read);
          return committed.reduce((sum, { offset }) => sum + Number(offset), 0) === 12;
        }, 10_000);
        await subscription.close();
        assert.deepEqual(await bus.committedOffsets(groupId, quiet), []);
        assert.deepEqual(await bus.committedOffsets(unique('never'), read), []);
      });

      test(`[${transport.name}] concurrent publishes share one append and keep each key's order across callers`, async () => {
        // A window long enough that every call below joins the same append, however slow the machine.
        const grouped = await fixture.createBus('group-commit', { BUS_PUBLISH_LINGER_MS: '200' });
        const [first, second] = [testTopic('grouped'), testTopic('grouped')];
        await grouped.publishAll(
          [first, second].map((topic) => ({ topic, messages: [{ key: 'warm', value: 'up' }] })),
        );
        const appendsBefore = await appendCount(transport.name);
        const calls = Array.from({ length: 60 }, (_, call) => {
          const message = { key: `key-${call % 3}`, value: `key-${call % 3}:${Math.floor(call / 3)}` };
          // Every third call writes to both topics at once: one append still takes them all.
          return call % 3 === 0
            ? grouped.publishAll([first, second].map((topic) => ({ topic, messages: [message] })))
            : grouped.publish(first, [message]);
        });
        await Promise.all(calls);
        assert.equal(await appendCount(transport.name), appendsBefore + 1, 'the 60 calls made one append');
        const { collector, subscription } = await collect(bus, unique('g'), [first, second]);
        await collector.waitForCount(2 + 60 + 20);
        await subscription.close();
        const received = (topic: string, key: string) =>
          collector.messages
            .filter((m) => m.topic === topic && m.key === key)
            .map((m) => Number(m.value.toString().split(':')[1]));
        for (const key of ['key-0', 'key-1', 'key-2'])
          assert.deepEqual(
            received(first, key),
            Array.from({ length: 20 }, (_, i) => i),
            `${key} in call order on ${first}`,
          );
        assert.deepEqual(
          received(second, 'key-0'),
          Array.from({ length: 20 }, (_, i) => i),
        );
      });

      test(`[${transport.name}] an append that fails fails every one of its callers`, async () => {
        const grouped = await fixture.createBus('group-commit-failure', {
          BUS_PUBLISH_LINGER_MS: '200',
          BUS_PUBLISH_MAX_BYTES: String(8 * 1024 * 1024),
        });
        const topic = testTopic('grouped-failure');
        await grouped.publish(topic, [{ key: 'warm', value: 'up' }]);
        const appendsBefore = await appendCount(transport.name);
        await fixture.refuseNextAppend?.();
        const outcomes = await Promise.allSettled([
          grouped.publish(topic, [{ key: 'a', value: 'fine' }]),
          grouped.publish(topic, [refusedMessage(fixture)]),
          grouped.publishAll([{ topic, messages: [{ key: 'b', value: 'also fine' }] }]),
        ]);
        assert.deepEqual(
          outcomes.map((outcome) => outcome.status),
          ['rejected', 'rejected', 'rejected'],
          'no caller of the failed append was told its messages were stored',
        );
        for (const outcome of outcomes)
          assert.ok((outcome as PromiseRejectedResult).reason instanceof BusUnavailableError);
        assert.equal(await appendCount(transport.name), appendsBefore, 'no append succeeded');
        // On the Postgres log the append is one transaction: none of it was stored.
        if (transport.name === 'postgres-log') {
          const offsets = await grouped.latestOffsets(topic);
          assert.equal(
            offsets.reduce((sum, { offset }) => sum + Number(offset), 0),
            1,
          );
        }
        await grouped.publish(topic, [{ key: 'a', value: 'after' }]);
      });

      test(
        `[${transport.name}] publishing while the transport is down fails loudly, and works once it is back`,
        {
          skip: transport.outageSkip,
        },
        async () => {
          const topic = testTopic('outage');
          await bus.publish(topic, [{ key: 'k', value: 'before' }]);
          await fixture.down!();
          try {
            await assert.rejects(bus.publish(topic, [{ key: 'k', value: 'during' }]), BusUnavailableError);
          } finally {
            await fixture.up!();
          }
          await publishWhenBack(bus, topic, { key: 'k', value: 'after' });
          const { collector, subscription } = await collect(bus, unique('g'), [topic]);
          await collector.waitForCount(2);
          await pause(300);
          await subscription.close();
          assert.deepEqual(collector.values(), ['before', 'after'], 'the failed publish left nothing behind');
        },
      );

      test(
        `[${transport.name}] a subscription closed while the transport is down stays closed once it is back`,
        { skip: transport.outageSkip },
        async () => {
          const topic = testTopic('closed-in-outage');
          const groupId = unique('g');
          const { collector, subscription } = await collect(bus, groupId, [topic]);
          await bus.publish(topic, [{ key: 'k', value: 'before' }]);
          await collector.waitForCount(1);
          await pause(1_000); // let the offset of 'before' commit, so the group resumes after it
          const crashes = captureLogLines(/consumer crashed/);
          try {
            await fixture.down!();
            // On Kafka, close in the middle of the consumer's crash handling, right after the
            // subscription armed its restart (the restart must not outlive the close).
            if (transport.name === 'kafka') await crashes.next(60_000);
            else await pause(2_000);
            await subscription.close();
          } finally {
            crashes.stop();
            await fixture.up!();
          }
          await publishWhenBack(bus, topic, { key: 'k', value: 'after' });
          await pause(5_000);
          assert.deepEqual(collector.values(), ['before'], 'the closed subscription consumed again');
          const reopened = await collect(bus, groupId, [topic]);
          await reopened.collector.waitForCount(1);
          await reopened.subscription.close();
          assert.deepEqual(reopened.collector.values(), ['after'], 'the group resumes where it committed');
        },
      );
    },
  );
}

/** Successful appends of `transport` so far in this process, from the bus's own histogram. */
async function appendCount(transport: string): Promise<number> {
  const metric = register.getSingleMetric('hub_bus_append_callers') as Histogram | undefined;
  if (!metric) return 0;
  // A histogram's samples name the series they belong to (_bucket, _sum, _count).
  const { values } = await metric.get();
  const count = values.find(
    (sample) =>
      sample.metricName === 'hub_bus_append_callers_count' && sample.labels['transport'] === transport,
  );
  return count?.value ?? 0;
}

/**
 * The message that makes its append fail: on the Postgres log a NUL byte, which a text column
 * cannot hold; on the Kafka mock any message, the mock having been told to refuse the produce
 * request; on a real broker a value over its largest message (message.max.bytes, 1 MB by default).
 */
function refusedMessage(fixture: TransportFixture): { key: string; value: string | Buffer } {
  if (fixture.name === 'postgres-log') return { key: 'nul\u0000key', value: 'refused' };
  if (fixture.refuseNextAppend) return { key: 'refused', value: 'by the mock' };
  return { key: 'too-large', value: Buffer.alloc(2 * 1024 * 1024, 1) };
}

/** Lets a test wait for the next log line (through Nest's Logger, any level) matching `pattern`. */
function captureLogLines(pattern: RegExp) {
  const seen: string[] = [];
  const waiters: Array<() => void> = [];
  const capture = (message: unknown) => {
    if (!pattern.test(String(message))) return;
    seen.push(String(message));
    waiters.splice(0).forEach((wake) => wake());
  };
  class CapturingLogger extends ConsoleLogger {
    override error(message: unknown, ...rest: unknown[]) {
      capture(message);
      super.error(message, ...rest);
    }
    override warn(message: unknown, ...rest: unknown[]) {
      capture(message);
      super.warn(message, ...rest);
    }
    override log(message: unknown, ...rest: unknown[]) {
      capture(message);
      super.log(message, ...rest);
    }
  }
  Logger.overrideLogger(new CapturingLogger());
  return {
    next(timeoutMs: number): Promise<void> {
      if (seen.length > 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no log line matching ${pattern}`)), timeoutMs);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    stop: () => Logger.overrideLogger(new ConsoleLogger()),
  };
}

/** The first publish after an outage may still meet a dead pooled connection; a caller retries, as ingest's providers do. */
async function publishWhenBack(bus: EventBus, topic: string, message: { key: string; value: string }) {
  for (let attempt = 1; ; attempt++) {
    try {
      await bus.publish(topic, [message]);
      return;
    } catch (error) {
      if (attempt >= 10) throw error;
      await pause(500);
    }
  }
}
