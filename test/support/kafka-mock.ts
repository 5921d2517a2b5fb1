import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { inCi, testSetting } from './test-env.js';
import { TEST_TOPIC_PREFIX } from './topic-prefix.js';

/**
 * THE ONE PLACE WHERE TESTS WIRE KAFKA DIFFERENTLY FROM PRODUCTION.
 *
 * The librdkafka mock cluster has no controller, so the kafkajs idempotent producer and admin
 * topic creation fail against it (it auto-creates topics instead, so at start there are none to
 * check); a short session timeout lets a restarted consumer rejoin its group quickly after a
 * SIGKILL. Against a real broker (KAFKA_BROKERS set) the production settings are used unchanged.
 */
export const MOCK_CLUSTER_WIRING = {
  KAFKA_IDEMPOTENT: 'false',
  KAFKA_CREATE_TOPICS: 'false',
  KAFKA_CHECK_TOPICS: 'false',
  KAFKA_SESSION_TIMEOUT_MS: '6000',
} as const;

export interface KafkaBroker {
  brokers: string;
  /** Settings that differ from production for this broker (empty for a real broker). */
  wiring: Record<string, string>;
  /** Takes every broker down / up; undefined when the broker cannot be controlled. */
  down?: () => Promise<void>;
  up?: () => Promise<void>;
  /** Makes the broker refuse the next produce request as a whole; undefined when it cannot. */
  refuseNextProduce?: () => Promise<void>;
  stop(): Promise<void>;
}

export type KafkaAvailability = { broker: KafkaBroker } | { skip: string };

const SOURCE = path.resolve('test/kafka-mock/mock-cluster.c');
const BINARY = path.resolve('dist/test/kafka-mock/mock-cluster');

/** A real broker from KAFKA_BROKERS, else a fresh mock cluster; in CI a missing mock is an error. */
export async function startKafka(): Promise<KafkaAvailability> {
  const real = testSetting('KAFKA_BROKERS');
  if (real)
    return { broker: { brokers: real, wiring: {}, stop: () => deleteTopicsOf(real, TEST_TOPIC_PREFIX) } };
  try {
    await compileMockCluster();
    return { broker: await launchMockCluster() };
  } catch (error) {
    const reason = `librdkafka mock cluster unavailable (${(error as Error).message.split('\n')[0]}); install librdkafka-dev and a C compiler`;
    if (inCi())
      throw new Error(`${reason}: the Kafka half of the suite is mandatory in CI`, { cause: error });
    console.log(`# SKIP kafka: ${reason}`);
    return { skip: reason };
  }
}

async function compileMockCluster(): Promise<void> {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= statSync(SOURCE).mtimeMs) return;
  // Compile beside the target and rename: test files running in parallel may compile at once.
  await mkdir(path.dirname(BINARY), { recursive: true });
  const temporary = `${BINARY}.${process.pid}`;
  await promisify(execFile)('cc', ['-O2', '-Wall', '-o', temporary, SOURCE, '-lrdkafka']);
  await rename(temporary, BINARY);
}

async function launchMockCluster(): Promise<KafkaBroker> {
  const child = spawn(BINARY, ['1'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const waiters: Array<(line: string) => void> = [];
  const nextLine = () => new Promise<string>((resolve) => waiters.push(resolve));
  lines.on('line', (line) => waiters.shift()?.(line));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const first = await Promise.race([nextLine(), exited.then(() => 'EXITED')]);
  if (!first.startsWith('BOOTSTRAP ')) throw new Error(`mock cluster did not start: ${first}`);
  const command = async (line: 'up' | 'down' | 'refuse-produce') => {
    const answer = nextLine();
    child.stdin!.write(`${line}\n`);
    await answer;
  };
  return {
    brokers: first.slice('BOOTSTRAP '.length),
    wiring: { ...MOCK_CLUSTER_WIRING },
    down: () => command('down'),
    up: () => command('up'),
    refuseNextProduce: () => command('refuse-produce'),
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null) return;
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

/**
 * A real broker keeps topics until someone deletes them, and a 2.4.1 broker creates topics more
 * slowly the more partitions it holds: a test file deletes its own when it is done. Best effort:
 * a run that dies first leaves them, to be deleted by their `test-` prefix (docs/kafka.md).
 */
async function deleteTopicsOf(brokers: string, prefix: string): Promise<void> {
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
  } catch (error) {
    console.log(`# could not delete the topics of ${prefix}: ${(error as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
