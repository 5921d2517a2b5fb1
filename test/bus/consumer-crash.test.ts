import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';
import { stopEmbeddedTestServer } from '../support/database.js';
import { pause, unique } from '../support/collector.js';
import { transportCases } from '../support/transports.js';
import { testTopic } from '../support/topic-prefix.js';

const CONSUMER = 'dist/test/bus/fixtures/consumer.process.js';
const MESSAGES = 1_000;
/**
 * Each wait fails when the consumer makes no progress for this long, not after a fixed total: on a
 * starved machine the two consumer processes (start-up, 1,000 messages in batches) take 10x longer
 * than on an idle one, and that is slowness, not the hang this test must catch.
 */
const STALL_MS = 30_000;
const cases = await transportCases();
after(stopEmbeddedTestServer);

for (const transport of cases) {
  describe(`consumer crash [${transport.name}]`, { skip: transport.skip ?? false, timeout: 300_000 }, () => {
    test(`[${transport.name}] a consumer killed with SIGKILL mid-stream loses nothing and gets every uncommitted message again`, async () => {
      const fixture = await transport.setup();
      // A consumer left running by a failed assertion would go on retrying after the fixture closed.
      const consumers: ChildProcess[] = [];
      try {
        await fixture.dataSource.query('CREATE TABLE received (run int NOT NULL, value text NOT NULL)');
        const bus = await fixture.createBus('crash-producer');
        const topic = testTopic('crash');
        const groupId = unique('crash-group');
        const values = Array.from({ length: MESSAGES }, (_, i) => `m${i}`);
        for (let i = 0; i < MESSAGES; i += 100) {
          await bus.publish(
            topic,
            values.slice(i, i + 100).map((value, j) => ({ key: `k${(i + j) % 10}`, value })),
          );
        }

        // Run 1: slow batches; killed while a batch is inside its transaction.
        const first = startConsumer(fixture.env, topic, groupId, 1, 30, 20);
        consumers.push(first.process);
        const receivedByFirst = new Set<string>();
        await first.untilReceived((batch) => {
          batch.forEach((v) => receivedByFirst.add(v));
          return receivedByFirst.size >= MESSAGES / 3;
        });
        first.process.kill('SIGKILL');
        await first.exited;

        const committedByFirst = new Set(await valuesOfRun(fixture.dataSource, 1));
        const uncommitted = [...receivedByFirst].filter((v) => !committedByFirst.has(v));
        assert.ok(uncommitted.length > 0, 'the kill landed while a batch was in flight');

        // Run 2: restarted, runs to the end of the stream (larger batches: fewer round trips, and
        // the redelivery asserted below does not depend on the batch size).
        const second = startConsumer(fixture.env, topic, groupId, 2, 0, 200);
        consumers.push(second.process);
        const all = async () => new Set([...committedByFirst, ...(await valuesOfRun(fixture.dataSource, 2))]);
        await whileProgressing(async () => (await all()).size, MESSAGES).catch(() => undefined);
        second.process.kill('SIGTERM');
        await stopWithin(second, STALL_MS);

        const committedBySecond = new Set(await valuesOfRun(fixture.dataSource, 2));
        assert.equal((await all()).size, MESSAGES, 'nothing was lost');
        for (const value of uncommitted)
          assert.ok(committedBySecond.has(value), `${value} came again after the kill`);
        if (transport.name === 'postgres-log') {
          // The offset commits in the handler's transaction: what run 1 committed never comes again.
          const again = [...committedByFirst].filter((v) => committedBySecond.has(v));
          assert.deepEqual(again, [], 'no committed message was handled twice');
        }
        await bus.close();
      } finally {
        for (const child of consumers)
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await fixture.close();
      }
    });
  });
}

/** What is asserted is in the database; a consumer that does not stop in time is killed. */
async function stopWithin(consumer: { process: ChildProcess; exited: Promise<void> }, ms: number) {
  const timer = setTimeout(() => consumer.process.kill('SIGKILL'), ms);
  await consumer.exited;
  clearTimeout(timer);
}

/**
 * Waits until `count()` reaches `target`, as long as it keeps growing: fails after STALL_MS
 * without growth (a consumer that hangs), however long steady progress takes.
 */
async function whileProgressing(count: () => Promise<number>, target: number): Promise<void> {
  let last = -1;
  let lastGrowth = Date.now();
  for (let now = await count(); now < target; now = await count()) {
    if (now > last) [last, lastGrowth] = [now, Date.now()];
    if (Date.now() - lastGrowth > STALL_MS)
      throw new Error(`stuck at ${now} of ${target} for ${STALL_MS} ms`);
    await pause(100);
  }
}

function startConsumer(
  env: Record<string, string>,
  topic: string,
  groupId: string,
  run: number,
  holdMs: number,
  batchSize: number,
) {
  const child: ChildProcess = spawn(
    process.execPath,
    [CONSUMER, topic, groupId, String(run), String(holdMs), String(batchSize)],
    {
      // The fixture's settings only: the runner's own environment may name a real broker
      // (KAFKA_BROKERS), which would put the Postgres-log case's consumer on Kafka.
      env: { PATH: process.env['PATH'] ?? '', ...env, LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout! });
  return {
    process: child,
    exited,
    untilReceived(done: (batch: string[]) => boolean): Promise<void> {
      return new Promise((resolve, reject) => {
        const stalled = () => reject(new Error(`consumer run ${run} received nothing for ${STALL_MS} ms`));
        let timer = setTimeout(stalled, STALL_MS);
        lines.on('line', (line) => {
          if (!line.startsWith('RECEIVED ')) return;
          clearTimeout(timer);
          if (done(line.slice('RECEIVED '.length).split(','))) resolve();
          else timer = setTimeout(stalled, STALL_MS);
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`consumer run ${run} exited early`));
        });
      });
    },
  };
}

async function valuesOfRun(
  dataSource: { query: (sql: string, p: unknown[]) => Promise<unknown> },
  run: number,
) {
  const rows = (await dataSource.query('SELECT value FROM received WHERE run = $1', [run])) as Array<{
    value: string;
  }>;
  return rows.map((row) => row.value);
}
