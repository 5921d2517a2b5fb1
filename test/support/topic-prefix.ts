import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { topicNames } from '@hub/contracts';

/** What every test topic name starts with: what to delete when a run left some behind. */
export const TEST_TOPIC_MARK = 'test-';

/**
 * The TOPIC_PREFIX of this test file, fresh for every run: `test-<file>-<time><random>`, e.g.
 * `test-ingest-mi8q2x1c7f3a`. Topics outlive a run on a real broker, and test files run in
 * parallel, so a consumer reading a shared topic from its beginning would see other files' and
 * earlier runs' events. The runner starts one process per test file, so a module-level value is
 * one per file. The file's name is only there to tell whose topics are left on a broker.
 */
export const TEST_TOPIC_PREFIX = freshTopicPrefix();

/** Every topic of this test file. */
export const TEST_TOPICS = topicNames(TEST_TOPIC_PREFIX);

/**
 * The apps' consumer groups of this test file. Topics of its own are not enough on a real broker:
 * two files' projectors in one group `projector` would share its partitions, and kafkajs's group
 * leader spreads only the topics it subscribes to over every member, so each file's projector is
 * handed the other's partitions, drops them, and some of its own are read by nobody.
 */
export const TEST_GROUP_IDS = {
  projector: `${TEST_TOPIC_PREFIX}.projector`,
  dispatcher: `${TEST_TOPIC_PREFIX}.dispatcher`,
} as const;

function freshTopicPrefix(): string {
  const script = process.argv[1] ? path.basename(process.argv[1]) : 'file';
  // TOPIC_PREFIX allows 1-50 of [A-Za-z0-9_-]; a test may add a suffix of its own (`-reference`).
  const file = script
    .replace(/\.(test|spec)\.js$/, '')
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .slice(0, 16);
  return `${TEST_TOPIC_MARK}${file}-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
}

/** A topic of its own for one test, under this file's prefix (so deleted with the file's topics). */
export function testTopic(label: string): string {
  return `${TEST_TOPIC_PREFIX}.${label}-${randomBytes(4).toString('hex')}`;
}
