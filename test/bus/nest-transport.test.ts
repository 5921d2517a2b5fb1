import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Inject, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { EventBus } from '@hub/bus';
import { BusConsumer, BusTransport, LaneContext, type ConsumerLane, type Decoded } from '@hub/runtime';
import { collect, eventually, pause, unique } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { transportCases, type TransportFixture } from '../support/transports.js';
import { testTopic } from '../support/topic-prefix.js';

/**
 * The bus transport under a real Nest hybrid app with one `@EventPattern` handler, on each
 * transport: what reaches the handler, what is dead-lettered and why, redelivery, and (on the
 * Postgres log) that dead letters commit with the handler's transaction and its offset.
 */
const cases = await transportCases();
after(stopEmbeddedTestServer);

const LANE = 'probe.lane';
const PROBE = Symbol('PROBE');

type Behaviour = (batch: Array<Decoded<string>>, context: LaneContext) => Promise<void>;

/** What the handler saw, and what it does with each batch (a test sets it). */
class Probe {
  readonly batches: string[][] = [];
  constructor(public behaviour: Behaviour = applyInTransaction) {}
  values(): string[] {
    return this.batches.flat();
  }
}

/** The usual handler: every item through applyIsolatingPoison, in the lane context's transaction. */
const applyInTransaction: Behaviour = (batch, context) =>
  context.transaction(async () => {
    await context.applyIsolatingPoison(batch, async (items) => items.map(({ value }) => value));
  });

@BusConsumer()
class ProbeConsumer {
  constructor(@Inject(PROBE) private readonly probe: Probe) {}

  @EventPattern<string>(LANE)
  handle(@Payload() batch: Array<Decoded<string>>, @Ctx() context: LaneContext): Promise<void> {
    this.probe.batches.push(batch.map(({ value }) => value));
    return this.probe.behaviour(batch, context);
  }
}

@Module({})
class ProbeModule {
  static with(probe: Probe): DynamicModule {
    return {
      module: ProbeModule,
      controllers: [ProbeConsumer],
      providers: [{ provide: PROBE, useValue: probe }],
    };
  }
}

/** `ok-…` is a probe; anything else is not, and says so. */
function parseProbe(value: Buffer): { value: string } | { error: string } {
  const text = value.toString('utf8');
  return text.startsWith('ok-') ? { value: text } : { error: `not a probe: ${text}` };
}

interface Lane {
  topic: string;
  groupId: string;
  deadLetterTopic: string;
  deadLetterGroup?: string;
}

const newLane = (): Lane => ({
  topic: testTopic('probe'),
  groupId: unique('g'),
  deadLetterTopic: testTopic('dead'),
});

/** The probe lane's settings, under whichever pattern name the test wants. */
function probeLane(lane: Lane, maxBatchSize = 50): ConsumerLane<string> {
  return {
    groupId: lane.groupId,
    ...(lane.deadLetterGroup ? { deadLetterGroup: lane.deadLetterGroup } : {}),
    topics: [lane.topic],
    maxBatchSize,
    concurrency: 1,
    parse: parseProbe,
  };
}

async function startHybridApp(bus: EventBus, lane: Lane, probe: Probe): Promise<INestApplication> {
  return (await startProbeApp(bus, lane, probe, {})).app;
}

async function startProbeApp(
  bus: EventBus,
  lane: Lane,
  probe: Probe,
  options: { stoppedByCaller?: boolean },
): Promise<{ app: INestApplication; strategy: BusTransport }> {
  const app = await NestFactory.create(ProbeModule.with(probe), { logger: false });
  const strategy = new BusTransport(bus, {
    deadLetterTopic: lane.deadLetterTopic,
    ...options,
    lanes: { [LANE]: probeLane(lane) },
  });
  app.connectMicroservice({ strategy });
  await app.init();
  await app.startAllMicroservices();
  return { app, strategy };
}

interface DeadLetter {
  group: string;
  topic: string;
  offset: string;
  error: string;
  value: string;
}

const sameKey = (values: string[]) => values.map((value) => ({ key: 'one-key', value }));

for (const transport of cases) {
  describe(
    `bus transport for Nest [${transport.name}]`,
    { skip: transport.skip ?? false, timeout: 180_000 },
    () => {
      let fixture: TransportFixture;
      let bus: EventBus;

      before(async () => {
        fixture = await transport.setup();
        bus = await fixture.createBus('nest-transport');
      });
      after(() => fixture?.close());

      test(`[${transport.name}] hands a valid batch to the handler, each value with its message`, async () => {
        const lane = newLane();
        const probe = new Probe();
        const seen: Array<Decoded<string>> = [];
        probe.behaviour = async (batch, context) => {
          seen.push(...batch);
          await applyInTransaction(batch, context);
        };
        const app = await startHybridApp(bus, lane, probe);
        await bus.publish(lane.topic, sameKey(['ok-0', 'ok-1', 'ok-2']));
        await eventually(() => probe.values().length >= 3);
        await app.close();
        assert.deepEqual(probe.values(), ['ok-0', 'ok-1', 'ok-2']);
        assert.deepEqual(
          seen.map(({ message }) => [message.topic, message.value.toString()]),
          seen.map(({ value }) => [lane.topic, value]),
        );
      });

      test(`[${transport.name}] dead-letters an invalid message with its reason and the partition moves on`, async () => {
        const lane = newLane();
        const { collector: deadLetters, subscription } = await collect(bus, unique('g'), [
          lane.deadLetterTopic,
        ]);
        const probe = new Probe();
        const app = await startHybridApp(bus, lane, probe);
        await bus.publish(lane.topic, sameKey(['ok-0', 'bad-1', 'ok-2']));
        await deadLetters.waitForCount(1);
        await bus.publish(lane.topic, sameKey(['ok-3']));
        await eventually(() => probe.values().includes('ok-3'));
        await pause(300);
        await app.close();
        await subscription.close();
        assert.deepEqual(
          probe.values(),
          ['ok-0', 'ok-2', 'ok-3'],
          'the invalid message never reached the handler',
        );
        assert.equal(deadLetters.messages.length, 1);
        const letter = JSON.parse(deadLetters.messages[0]!.value.toString()) as DeadLetter;
        assert.equal(letter.error, 'not a probe: bad-1');
        assert.equal(letter.group, lane.groupId);
        assert.equal(letter.topic, lane.topic);
        assert.equal(letter.offset, '1');
        assert.equal(letter.value, 'bad-1');
      });

      test(`[${transport.name}] a lane that reports as another consumer names that consumer in its dead letters`, async () => {
        const lane = { ...newLane(), deadLetterGroup: unique('consumer') };
        const { collector: deadLetters, subscription } = await collect(bus, unique('g'), [
          lane.deadLetterTopic,
        ]);
        const app = await startHybridApp(bus, lane, new Probe());
        await bus.publish(lane.topic, sameKey(['bad-0']));
        await deadLetters.waitForCount(1);
        await app.close();
        await subscription.close();
        const letter = JSON.parse(deadLetters.messages[0]!.value.toString()) as DeadLetter;
        assert.equal(letter.group, lane.deadLetterGroup);
        assert.notEqual(letter.group, lane.groupId);
      });

      test(`[${transport.name}] dead-letters what applyIsolatingPoison isolates, and applies the rest`, async () => {
        const lane = newLane();
        const { collector: deadLetters, subscription } = await collect(bus, unique('g'), [
          lane.deadLetterTopic,
        ]);
        const applied: string[] = [];
        const probe = new Probe((batch, context) =>
          context.transaction(async () => {
            const results = await context.applyIsolatingPoison(batch, async (items) => {
              if (items.some(({ value }) => value === 'ok-poison'))
                throw Object.assign(new Error('refused by the test'), { code: '22023' });
              return items.map(({ value }) => value);
            });
            applied.push(...results);
          }),
        );
        const app = await startHybridApp(bus, lane, probe);
        await bus.publish(lane.topic, sameKey(['ok-0', 'ok-poison', 'ok-2']));
        await deadLetters.waitForCount(1);
        await eventually(() => applied.length >= 2);
        await app.close();
        await subscription.close();
        assert.deepEqual(applied, ['ok-0', 'ok-2']);
        const letter = JSON.parse(deadLetters.messages[0]!.value.toString()) as DeadLetter;
        assert.equal(letter.error, 'refused by the test (SQLSTATE 22023)');
        assert.equal(letter.offset, '1');
      });

      test(`[${transport.name}] a batch of invalid messages only is dead-lettered once, even when the handler opens no transaction`, async () => {
        const lane = newLane();
        const { collector: deadLetters, subscription } = await collect(bus, unique('g'), [
          lane.deadLetterTopic,
        ]);
        const probe = new Probe(async () => undefined);
        const app = await startHybridApp(bus, lane, probe);
        await bus.publish(lane.topic, sameKey(['bad-0', 'bad-1']));
        await deadLetters.waitForCount(2);
        await bus.publish(lane.topic, sameKey(['ok-2']));
        await eventually(() => probe.values().includes('ok-2'));
        await pause(300);
        await app.close();
        await subscription.close();
        assert.deepEqual(probe.batches[0], [], 'the handler was called with the empty batch');
        assert.deepEqual(probe.values(), ['ok-2'], 'the invalid messages did not come again');
        assert.deepEqual(
          deadLetters.messages.map((m) => (JSON.parse(m.value.toString()) as DeadLetter).error),
          ['not a probe: bad-0', 'not a probe: bad-1'],
        );
      });

      test(`[${transport.name}] still dead-letters when the handler's transaction rolled back and it carried on`, async () => {
        const lane = newLane();
        const { collector: deadLetters, subscription } = await collect(bus, unique('g'), [
          lane.deadLetterTopic,
        ]);
        const probe = new Probe(async (batch, context) => {
          await context
            .transaction(async () => {
              await context.applyIsolatingPoison(batch, async (items) => items);
              throw new Error('failure after dead-lettering, caught by the handler');
            })
            .catch(() => undefined);
        });
        const app = await startHybridApp(bus, lane, probe);
        await bus.publish(lane.topic, sameKey(['ok-0', 'bad-1']));
        await deadLetters.waitForCount(1);
        await pause(300);
        await app.close();
        await subscription.close();
        assert.equal(probe.batches.length, 1, 'the batch was committed, not redelivered');
        const errors = deadLetters.messages.map((m) => (JSON.parse(m.value.toString()) as DeadLetter).error);
        // On Kafka the rolled-back attempt had already published its dead letter.
        assert.deepEqual(
          errors,
          transport.name === 'postgres-log' ? ['not a probe: bad-1'] : errors.map(() => 'not a probe: bad-1'),
        );
      });

      test(`[${transport.name}] gives a handler that throws its batch again`, async () => {
        const lane = newLane();
        let failuresLeft = 1;
        const probe = new Probe(async (batch, context) => {
          if (failuresLeft > 0) {
            failuresLeft -= 1;
            throw new Error('handler failure injected by the test');
          }
          await applyInTransaction(batch, context);
        });
        const app = await startHybridApp(bus, lane, probe);
        await bus.publish(lane.topic, sameKey(['ok-0', 'ok-1']));
        await eventually(() => probe.batches.length >= 2);
        await pause(300);
        await app.close();
        assert.equal(failuresLeft, 0);
        assert.deepEqual(probe.batches, [
          ['ok-0', 'ok-1'],
          ['ok-0', 'ok-1'],
        ]);
      });

      test(
        `[${transport.name}] commits dead letters with the handler's transaction and its offset`,
        {
          skip:
            transport.name === 'postgres-log'
              ? false
              : 'Kafka publishes at once; only the Postgres log joins the transaction',
        },
        async () => {
          const lane = newLane();
          const deadLettersNow = async (): Promise<number> => {
            const rows: Array<{ count: string }> = await fixture.dataSource.query(
              'SELECT count(*) AS count FROM bus_messages WHERE topic = $1',
              [lane.deadLetterTopic],
            );
            return Number(rows[0]?.count ?? 0);
          };
          const atRetry: number[] = [];
          const probe = new Probe(async (batch, context) => {
            if (probe.batches.length === 1) {
              await context.transaction(async () => {
                await context.applyIsolatingPoison(batch, async (items) => items);
                throw new Error('failure after dead-lettering, injected by the test');
              });
            }
            atRetry.push(await deadLettersNow());
            await applyInTransaction(batch, context);
          });
          const app = await startHybridApp(bus, lane, probe);
          await bus.publish(lane.topic, sameKey(['ok-0', 'bad-1', 'ok-2']));
          await eventually(() => probe.batches.length >= 2);
          await pause(300);
          await app.close();
          assert.deepEqual(atRetry, [0], 'the rolled-back attempt left no dead letter');
          assert.equal(await deadLettersNow(), 1, 'the second attempt dead-lettered it once');
          const offsets: Array<{ committed_offset: string }> = await fixture.dataSource.query(
            'SELECT committed_offset FROM bus_offsets WHERE group_id = $1 AND topic = $2',
            [lane.groupId, lane.topic],
          );
          assert.deepEqual(
            offsets.map((row) => String(row.committed_offset)),
            ['3'],
          );
        },
      );

      test(`[${transport.name}] a transport stopped by its caller keeps consuming after Nest's close, until stop()`, async () => {
        const lane = newLane();
        const probe = new Probe();
        const { app, strategy } = await startProbeApp(bus, lane, probe, { stoppedByCaller: true });
        await app.close();
        await bus.publish(lane.topic, sameKey(['ok-0']));
        await eventually(() => probe.values().includes('ok-0'));
        await strategy.stop();
        await bus.publish(lane.topic, sameKey(['ok-1']));
        await pause(1_000);
        assert.deepEqual(probe.values(), ['ok-0']);
      });

      test(`[${transport.name}] refuses to start a lane no handler serves`, async () => {
        const app = await NestFactory.create(ProbeModule.with(new Probe()), { logger: false });
        const lane = newLane();
        const missing = probeLane(lane, 1);
        app.connectMicroservice({
          strategy: new BusTransport(bus, {
            deadLetterTopic: lane.deadLetterTopic,
            lanes: { 'no.such.lane': missing },
          }),
        });
        await app.init();
        await assert.rejects(app.startAllMicroservices(), /no @EventPattern\('no.such.lane'\) handler/);
        await app.close();
      });
    },
  );
}
