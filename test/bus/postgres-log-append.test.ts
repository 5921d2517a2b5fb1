import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BusUnavailableError, partitionForKey, type EventBus } from '@hub/bus';
import { stopEmbeddedTestServer } from '../support/database.js';
import { postgresLogFixture, type TransportFixture } from '../support/transports.js';
import { testTopic } from '../support/topic-prefix.js';

/**
 * The Postgres log's append is one statement that locks, reserves and inserts: these check what
 * only that transport can get wrong, against a real Postgres, with separate pools standing for
 * separate processes.
 */
after(stopEmbeddedTestServer);

describe('Postgres log append', { timeout: 120_000 }, () => {
  let fixture: TransportFixture;

  before(async () => {
    fixture = await postgresLogFixture();
  });
  after(() => fixture?.close());

  test('publishers on separate connections racing for one partition get every offset once, in order', async () => {
    const buses: EventBus[] = [];
    for (let i = 0; i < 4; i += 1) buses.push(await fixture.createBus(`racer-${i}`));
    const topic = testTopic('racing');
    await Promise.all(buses.map((bus) => bus.ensureTopics([topic])));
    // One key: every message goes to one partition, so every append waits on the same counter row
    // and most find it moved by another connection since their statement began.
    const publishes = buses.flatMap((bus, b) =>
      Array.from({ length: 25 }, (_, i) => bus.publish(topic, [{ key: 'one', value: `${b}:${i}` }])),
    );
    await Promise.all(publishes);
    const rows = await fixture.dataSource.query<Array<{ partition: number; offset: string; value: Buffer }>>(
      'SELECT m.partition, m."offset"::text AS offset, m.value FROM bus_messages m WHERE m.topic = $1 ORDER BY m."offset"',
      [topic],
    );
    assert.equal(new Set(rows.map((row) => row.partition)).size, 1, 'one key, one partition');
    assert.deepEqual(
      rows.map((row) => Number(row.offset)),
      Array.from({ length: 100 }, (_, i) => i),
      'offsets 0 to 99, none twice, none skipped',
    );
    assert.equal(new Set(rows.map((row) => row.value.toString())).size, 100, 'every message once');
    for (let b = 0; b < buses.length; b += 1) {
      const own = rows.map((row) => row.value.toString()).filter((value) => value.startsWith(`${b}:`));
      assert.deepEqual(
        own,
        Array.from({ length: 25 }, (_, i) => `${b}:${i}`),
        `publisher ${b}'s messages in its call order`,
      );
    }
    const [latest] = (await buses[0]!.latestOffsets(topic)).filter((p) => p.partition === rows[0]!.partition);
    assert.equal(latest?.offset, '100', 'the counter moved by exactly the messages stored');
  });

  test('an append to a partition without its counter fails whole: none of its messages is stored', async () => {
    const bus = await fixture.createBus('missing-partition');
    const topic = testTopic('no-partitions');
    await bus.publish(topic, [{ key: 'k', value: 'first' }]);
    const [topicRow] = await fixture.dataSource.query<Array<{ partitions: number }>>(
      'SELECT partitions FROM bus_topics WHERE name = $1',
      [topic],
    );
    const partitions = topicRow!.partitions;
    // Messages over every partition, then one partition's counter gone (a damaged log): the bus
    // still knows the topic's partition count, so it writes to that partition too.
    const messages = Array.from({ length: 4 * partitions }, (_, i) => ({ key: `key-${i}`, value: `v${i}` }));
    const damaged = partitionForKey('key-0', partitions);
    assert.ok(
      messages.some((m) => partitionForKey(m.key, partitions) !== damaged),
      'the append also writes to partitions that are fine',
    );
    await fixture.dataSource.query('DELETE FROM bus_partitions WHERE topic = $1 AND partition = $2', [
      topic,
      damaged,
    ]);
    await assert.rejects(
      bus.publish(topic, messages),
      (error: unknown) =>
        error instanceof BusUnavailableError &&
        /append refused: one of the partitions .* has no offset counter/.test(error.message),
    );
    const [stored] = await fixture.dataSource.query<Array<{ n: number }>>(
      'SELECT count(*)::int AS n FROM bus_messages WHERE topic = $1',
      [topic],
    );
    assert.equal(stored?.n, 1, 'only the message before the damage');
  });
});
