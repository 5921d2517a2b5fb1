import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { topicProblems, type TopicFound, type TopicNeed } from './topic-check.js';

const CANONICAL: TopicNeed = { topic: 'hub.canonical.projects', partitions: 8, keptForever: true };
const STATE_CHANGES: TopicNeed = { topic: 'hub.state.changes', partitions: 8, keptForever: false };

/** What a topic created by the bus itself looks like to describeConfigs. */
const KEPT: TopicFound['configs'] = {
  'cleanup.policy': 'delete',
  'retention.ms': '-1',
  'retention.bytes': '-1',
};

function found(...topics: Array<[string, TopicFound]>): Map<string, TopicFound> {
  return new Map(topics);
}

describe('topicProblems', () => {
  test('topics as the bus would create them: no problem', () => {
    assert.deepEqual(
      topicProblems(
        [CANONICAL, STATE_CHANGES],
        found(
          [CANONICAL.topic, { partitions: 8, configs: KEPT }],
          [STATE_CHANGES.topic, { partitions: 8, configs: {} }],
        ),
      ),
      [],
    );
  });

  test('more partitions than the system creates are fine', () => {
    assert.deepEqual(
      topicProblems([CANONICAL], found([CANONICAL.topic, { partitions: 24, configs: KEPT }])),
      [],
    );
  });

  test('a missing topic is named, and nothing else is said of it', () => {
    assert.deepEqual(topicProblems([CANONICAL, STATE_CHANGES], found()), [
      'topic hub.canonical.projects does not exist',
      'topic hub.state.changes does not exist',
    ]);
  });

  test('fewer partitions than BUS_PARTITIONS', () => {
    assert.deepEqual(
      topicProblems(
        [STATE_CHANGES, CANONICAL],
        found(
          [STATE_CHANGES.topic, { partitions: 1, configs: {} }],
          [CANONICAL.topic, { partitions: 7, configs: KEPT }],
        ),
      ),
      [
        'topic hub.state.changes has 1 partition; the system needs at least 8 (BUS_PARTITIONS)',
        'topic hub.canonical.projects has 7 partitions; the system needs at least 8 (BUS_PARTITIONS)',
      ],
    );
  });

  test("a canonical topic with the broker's default retention of seven days", () => {
    assert.deepEqual(
      topicProblems(
        [CANONICAL],
        found([CANONICAL.topic, { partitions: 8, configs: { ...KEPT, 'retention.ms': '604800000' } }]),
      ),
      ['topic hub.canonical.projects has retention.ms=604800000; a rebuild needs -1 (keep for ever)'],
    );
  });

  test('a canonical topic capped in size', () => {
    assert.deepEqual(
      topicProblems(
        [CANONICAL],
        found([CANONICAL.topic, { partitions: 8, configs: { ...KEPT, 'retention.bytes': '1073741824' } }]),
      ),
      ['topic hub.canonical.projects has retention.bytes=1073741824; a rebuild needs -1 (keep for ever)'],
    );
  });

  for (const policy of ['compact', 'compact,delete', 'delete, compact'])
    test(`a canonical topic with cleanup.policy=${policy} is refused: compaction loses history`, () => {
      assert.deepEqual(
        topicProblems(
          [CANONICAL],
          found([CANONICAL.topic, { partitions: 8, configs: { ...KEPT, 'cleanup.policy': policy } }]),
        ),
        [`topic hub.canonical.projects has cleanup.policy=${policy}; a rebuild needs delete (no compaction)`],
      );
    });

  test('settings the broker did not report are problems, not passes', () => {
    assert.deepEqual(topicProblems([CANONICAL], found([CANONICAL.topic, { partitions: 8, configs: {} }])), [
      'topic hub.canonical.projects: the broker did not report cleanup.policy',
      'topic hub.canonical.projects: the broker did not report retention.ms; a rebuild needs -1 (keep for ever)',
      'topic hub.canonical.projects: the broker did not report retention.bytes; a rebuild needs -1 (keep for ever)',
    ]);
  });

  test('retention and compaction are not asked of the other topics', () => {
    assert.deepEqual(
      topicProblems(
        [STATE_CHANGES],
        found([
          STATE_CHANGES.topic,
          {
            partitions: 8,
            configs: { 'cleanup.policy': 'compact', 'retention.ms': '604800000', 'retention.bytes': '1' },
          },
        ]),
      ),
      [],
    );
  });

  test('every problem of a topic, in one order: partitions, cleanup.policy, retention.ms, retention.bytes', () => {
    assert.deepEqual(
      topicProblems(
        [CANONICAL],
        found([
          CANONICAL.topic,
          {
            partitions: 3,
            configs: { 'cleanup.policy': 'compact', 'retention.ms': '86400000', 'retention.bytes': '0' },
          },
        ]),
      ),
      [
        'topic hub.canonical.projects has 3 partitions; the system needs at least 8 (BUS_PARTITIONS)',
        'topic hub.canonical.projects has cleanup.policy=compact; a rebuild needs delete (no compaction)',
        'topic hub.canonical.projects has retention.ms=86400000; a rebuild needs -1 (keep for ever)',
        'topic hub.canonical.projects has retention.bytes=0; a rebuild needs -1 (keep for ever)',
      ],
    );
  });
});
