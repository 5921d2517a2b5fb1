import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { partitionForKey, type ConsumedMessage } from '@hub/bus';
import { eventually, unique } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { postgresLogFixture, type TransportFixture } from '../support/transports.js';
import { testTopic } from '../support/topic-prefix.js';

/**
 * A Postgres log consumer reads the partitions that appends notify, and checks all of its
 * partitions only now and then: these check that a message whose notification never came is still
 * read, against a real Postgres and a real LISTEN connection.
 */
after(stopEmbeddedTestServer);

describe('Postgres log wake-ups', { timeout: 120_000 }, () => {
  let fixture: TransportFixture;

  before(async () => {
    fixture = await postgresLogFixture();
  });
  after(() => fixture?.close());

  test('a message no notification named is read while notifications of another partition keep coming', async () => {
    const bus = await fixture.createBus('wake-ups');
    const topic = testTopic('wake-ups');
    await bus.ensureTopics([topic]);
    const [topicRow] = await fixture.dataSource.query<Array<{ partitions: number }>>(
      'SELECT partitions FROM bus_topics WHERE name = $1',
      [topic],
    );
    const partitions = topicRow!.partitions;
    const busyKey = 'busy';
    const quietKey = Array.from({ length: 100 }, (_, i) => `quiet-${i}`).find(
      (key) => partitionForKey(key, partitions) !== partitionForKey(busyKey, partitions),
    )!;
    const read: ConsumedMessage[] = [];
    const subscription = await bus.subscribe({
      groupId: unique('wake-ups'),
      topics: [topic],
      handler: async (batch) => void read.push(...batch),
    });
    let publishing = true;
    const busy = (async () => {
      for (let i = 0; publishing; i++) {
        await bus.publish(topic, [{ key: busyKey, value: `busy-${i}` }]);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    try {
      await eventually(() => read.some((m) => m.key === busyKey), 30_000);
      // As an append does it, less its NOTIFY: as if the consumer had missed the notification.
      await fixture.dataSource.query(
        `WITH reserved AS (
           UPDATE bus_partitions SET next_offset = next_offset + 1
            WHERE topic = $1 AND partition = $2 RETURNING next_offset - 1 AS "offset")
         INSERT INTO bus_messages (topic, partition, "offset", key, value)
         SELECT $1, $2, "offset", $3, $4 FROM reserved`,
        [topic, partitionForKey(quietKey, partitions), quietKey, Buffer.from('never notified')],
      );
      await eventually(() => read.some((m) => m.key === quietKey), 30_000);
    } finally {
      publishing = false;
      await busy;
      await subscription.close();
    }
    const quiet = read.filter((m) => m.key === quietKey);
    assert.equal(quiet.length, 1, 'read once');
    assert.equal(quiet[0]!.value.toString(), 'never notified');
    const busyValues = read.filter((m) => m.key === busyKey).map((m) => m.value.toString());
    assert.deepEqual(
      busyValues,
      busyValues.map((_, i) => `busy-${i}`),
      'the notified partition read in order, none skipped or twice',
    );
  });
});
