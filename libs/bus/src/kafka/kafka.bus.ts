import { Logger } from '@nestjs/common';
import kafkajs, {
  Kafka,
  Partitioners,
  type Admin,
  type Consumer,
  type IHeaders,
  type Producer,
} from 'kafkajs';
import { batchTransaction } from '@hub/persistence';
import type { DataSource } from 'typeorm';
import {
  assertTopicName,
  type BatchContext,
  type ConsumedMessage,
  type EventBus,
  type OutgoingMessage,
  type SubscribeOptions,
  type Subscription,
  type TopicMessages,
} from '../bus.port.js';
import { retryDelayMs, sleep } from '../backoff.js';
import { describe } from '../describe-error.js';
import { roundFailed } from '../consumer-rounds.js';
import { GroupCommit, type GroupCommitOptions } from '../group-commit.js';
import { ConsumerRestarts } from './consumer-restarts.js';
import { KafkaRounds, type RoundOutcome, type RoundPart } from './kafka-rounds.js';
import { isRebalancing, kafkajsLogCreator, kafkajsLogLevel, type BusLogLevel } from './kafkajs-log.js';
import { consumerRunning } from './consumer-running.js';
import { kafkaSecurityOptions, type KafkaSecurity } from './kafka-security.js';
import {
  KEPT_FOREVER_SETTINGS,
  TopicCheckError,
  topicProblems,
  type TopicFound,
  type TopicNeed,
} from './topic-check.js';

// Node guesses a CommonJS module's named exports from its source and misses this one of kafkajs's.
const { ConfigResourceTypes } = kafkajs;

/** Before restarting a crashed consumer, when the crash does not say (kafkajs's `retryTime`). */
const DEFAULT_RESTART_DELAY_MS = 1_000;
/** Before restarting after an error kafkajs would not have restarted on. */
const FATAL_RESTART_DELAY_MS = 30_000;
/**
 * eachBatch calls kafkajs runs side by side: the most partitions one fetch can bring to a round.
 * A fetch with more (a consumer assigned more partitions) takes two rounds or more.
 */
const ROUND_WIDTH = 64;

/** kafkajs's own rule for restarting after a crash. */
function isRetriable(error: Error): boolean {
  let cause: unknown = error;
  while ((cause as { cause?: unknown }).cause) cause = (cause as { cause: unknown }).cause;
  return (
    error.name === 'KafkaJSNumberOfRetriesExceeded' || (cause as { retriable?: unknown }).retriable === true
  );
}

/** What a consumer's fetch asks of the broker. */
export interface KafkaFetchOptions {
  /** KAFKA_FETCH_MAX_WAIT_MS: how long a fetch waits at the broker when there is nothing to read. */
  maxWaitMs: number;
  /** KAFKA_FETCH_MAX_BYTES: most bytes a fetch brings back, held until rounds have handled them. */
  maxBytes: number;
  /** KAFKA_FETCH_MAX_PARTITION_BYTES: most bytes a fetch brings back from one partition. */
  maxPartitionBytes: number;
}

/** A kafkajs consumer's fetch settings from ours: the bus's consumers and the bench's raw ceiling share them. */
export function consumerFetchConfig(fetch: KafkaFetchOptions) {
  return {
    // A real broker answers a waiting fetch as soon as one byte is there, so the wait only
    // bounds idle fetch traffic; the librdkafka mock cluster holds every fetch to its end.
    minBytes: 1,
    maxWaitTimeInMs: fetch.maxWaitMs,
    maxBytes: fetch.maxBytes,
    maxBytesPerPartition: fetch.maxPartitionBytes,
  };
}

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  /**
   * Production: true (exactly-once per partition from the producer, needs a broker with a
   * controller). Only the test wiring for the librdkafka mock cluster turns it off.
   */
  idempotent: boolean;
  /**
   * True by default: topics are created through the admin API with `partitions`. Off, someone
   * else creates them (and `checkTopics` says whether start-up checks them); the test wiring for
   * the librdkafka mock cluster turns it off, since that broker auto-creates topics.
   */
  createTopics: boolean;
  /**
   * With createTopics off, ensureTopics checks each topic against what the system needs (see
   * topicProblems) and rejects with a TopicCheckError naming every shortfall. Only the test wiring
   * for the librdkafka mock cluster turns it off: that broker creates a topic when it is first used.
   */
  checkTopics: boolean;
  /** The topics a rebuild reads from their first message: they must keep every message for ever. */
  keptForever: readonly string[];
  partitions: number;
  replicationFactor: number;
  sessionTimeoutMs: number;
  /** How concurrent publishes are coalesced into one produce request. */
  groupCommit: GroupCommitOptions;
  fetch: KafkaFetchOptions;
  /** LOG_LEVEL: what kafkajs is asked to log (see kafkajsLogLevel). */
  logLevel?: BusLogLevel;
  /** KAFKA_SSL* and KAFKA_SASL_*: TLS and authentication; unset, plaintext without SASL. */
  security?: KafkaSecurity;
}

/**
 * Kafka through kafkajs directly: the @nestjs/microservices Kafka transport commits offsets per
 * message on its own schedule and has no batch handler, which would break "commit only after the
 * handler's transaction committed" (see docs/adr/0001-event-bus.md).
 */
export class KafkaBus implements EventBus {
  readonly transport = 'kafka' as const;
  private readonly kafka: Kafka;
  private producer: Promise<Producer> | undefined;
  private admin: Promise<Admin> | undefined;
  private readonly createdTopics = new Map<string, Promise<void>>();
  private readonly checkedTopics = new Set<string>();
  private readonly subscriptions = new Set<KafkaSubscription>();
  private readonly groupCommit: GroupCommit;

  constructor(
    private readonly options: KafkaBusOptions,
    private readonly dataSource?: DataSource,
  ) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      ...kafkaSecurityOptions(options.security),
      connectionTimeout: 3_000,
      requestTimeout: 10_000,
      // Fail a publish within a few seconds rather than hold an ingest request for half a minute.
      retry: { initialRetryTime: 200, retries: 4, maxRetryTime: 2_000 },
      logLevel: kafkajsLogLevel(options.logLevel ?? 'info'),
      logCreator: kafkajsLogCreator(new Logger('Kafka')),
    });
    this.groupCommit = new GroupCommit(
      this.transport,
      (batches) => this.sendAll(batches),
      options.groupCommit,
    );
  }

  publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    return this.publishAll([{ topic, messages }]);
  }

  publishAll(batches: TopicMessages[]): Promise<void> {
    return this.groupCommit.publishTopics(batches, (topic) => this.ensureTopic(topic));
  }

  /** One produce request per broker for every batch, acks from all in-sync replicas. */
  private async sendAll(batches: TopicMessages[]): Promise<void> {
    try {
      const producer = await this.connectedProducer();
      await producer.sendBatch({
        acks: -1,
        topicMessages: batches.map(({ topic, messages }) => ({
          topic,
          messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers ?? {} })),
        })),
      });
    } catch (error) {
      this.replaceProducer();
      throw error;
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    options.topics.forEach(assertTopicName);
    for (const topic of options.topics) await this.ensureTopic(topic);
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(this.options.sessionTimeoutMs / 10)),
      allowAutoTopicCreation: !this.options.createTopics,
      ...consumerFetchConfig(this.options.fetch),
      // kafkajs's default retries, but its own restart after a crash is off: see ConsumerRestarts.
      retry: { retries: 5, restartOnFailure: () => Promise.resolve(false) },
    });
    const subscription = new KafkaSubscription(
      consumer,
      options,
      this.dataSource,
      (topic, messages) => this.publish(topic, messages),
      () => this.subscriptions.delete(subscription),
    );
    await subscription.start();
    this.subscriptions.add(subscription);
    return subscription;
  }

  async ensureTopics(topics: string[]): Promise<void> {
    topics.forEach(assertTopicName);
    if (!this.options.createTopics) return this.checkTopics(topics);
    for (const topic of topics) await this.ensureTopic(topic);
  }

  async ping(): Promise<void> {
    // A metadata round trip proves a broker answers now, not only at connect time. It needs no
    // controller, so it also works against the librdkafka mock cluster.
    const admin = await this.connectedAdmin();
    await admin.fetchTopicMetadata({ topics: [] });
  }

  async latestOffsets(topic: string): Promise<Array<{ partition: number; offset: string }>> {
    assertTopicName(topic);
    await this.ensureTopic(topic);
    const admin = await this.connectedAdmin();
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets
      .map(({ partition, high }) => ({ partition, offset: high }))
      .sort((a, b) => a.partition - b.partition);
  }

  /** Kafka never deletes a partition's newest message: retention and compaction keep the active segment. */
  storedEndOffsets(topic: string): Promise<Array<{ partition: number; offset: string }>> {
    return this.latestOffsets(topic);
  }

  async committedOffsets(
    groupId: string,
    topic: string,
  ): Promise<Array<{ partition: number; offset: string }>> {
    assertTopicName(topic);
    const admin = await this.connectedAdmin();
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    // -1: the group has committed nothing on that partition yet.
    return (offsets?.partitions ?? [])
      .filter(({ offset }) => Number(offset) >= 0)
      .map(({ partition, offset }) => ({ partition, offset }))
      .sort((a, b) => a.partition - b.partition);
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    const producer = await this.producer?.catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    const admin = await this.admin?.catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
  }

  private connectedProducer(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.kafka.producer({
        idempotent: this.options.idempotent,
        maxInFlightRequests: this.options.idempotent ? 5 : undefined,
        allowAutoTopicCreation: !this.options.createTopics,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      this.producer = producer.connect().then(() => producer);
      this.producer.catch(() => (this.producer = undefined));
    }
    return this.producer;
  }

  /** After a failed send the next publish starts from a fresh connection; the old one is closed. */
  private replaceProducer(): void {
    const previous = this.producer;
    this.producer = undefined;
    void previous?.then((producer) => producer.disconnect()).catch(() => undefined);
  }

  private connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      this.admin = admin.connect().then(() => admin);
      this.admin.catch(() => (this.admin = undefined));
    }
    return this.admin;
  }

  /**
   * Topics someone else created: each must exist with at least the partitions the bus would have
   * created, and those a rebuild reads must keep every message. A topic that passed is not asked
   * about again.
   */
  private async checkTopics(topics: string[]): Promise<void> {
    if (!this.options.checkTopics) return;
    const unchecked = [...new Set(topics)].filter((topic) => !this.checkedTopics.has(topic));
    if (unchecked.length === 0) return;
    const admin = await this.connectedAdmin();
    // No names: every topic these credentials may see, in one answer where a missing topic is
    // simply absent. Named, a missing one is an error that kafkajs retries before giving up.
    const existing = await admin.fetchTopicMetadata();
    const partitions = new Map(existing.topics.map(({ name, partitions }) => [name, partitions.length]));
    const keptForever = new Set(this.options.keptForever);
    const described = unchecked.filter((topic) => keptForever.has(topic) && partitions.has(topic));
    const configs = new Map<string, Record<string, string>>();
    if (described.length > 0) {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: described.map((name) => ({
          type: ConfigResourceTypes.TOPIC,
          name,
          configNames: [...KEPT_FOREVER_SETTINGS],
        })),
      });
      for (const { resourceName, configEntries } of resources)
        configs.set(
          resourceName,
          Object.fromEntries(configEntries.map(({ configName, configValue }) => [configName, configValue])),
        );
    }
    const needs: TopicNeed[] = unchecked.map((topic) => ({
      topic,
      partitions: this.options.partitions,
      keptForever: keptForever.has(topic),
    }));
    const found = new Map<string, TopicFound>();
    for (const [topic, count] of partitions)
      found.set(topic, { partitions: count, configs: configs.get(topic) ?? {} });
    const problems = topicProblems(needs, found);
    if (problems.length > 0) throw new TopicCheckError(problems);
    unchecked.forEach((topic) => this.checkedTopics.add(topic));
  }

  private ensureTopic(topic: string): Promise<void> {
    if (!this.options.createTopics) return Promise.resolve();
    let pending = this.createdTopics.get(topic);
    if (!pending) {
      pending = this.connectedAdmin().then(async (admin) => {
        await admin.createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic,
              numPartitions: this.options.partitions,
              replicationFactor: this.options.replicationFactor,
              // The topics are the source of truth (docs/adr/0004): nothing expires, by age or by
              // size, and nothing is compacted away, whatever the cluster's defaults.
              configEntries: [
                { name: 'cleanup.policy', value: 'delete' },
                { name: 'retention.ms', value: '-1' },
                { name: 'retention.bytes', value: '-1' },
              ],
            },
          ],
        });
      });
      this.createdTopics.set(topic, pending);
      pending.catch(() => this.createdTopics.delete(topic));
    }
    return pending;
  }
}

class KafkaSubscription implements Subscription {
  private readonly logger: Logger;
  private failures = 0;
  private closing: Promise<void> | undefined;
  private readonly restarts: ConsumerRestarts;
  private readonly inGroup: () => boolean;
  private readonly rounds: KafkaRounds;

  constructor(
    private readonly consumer: Consumer,
    private readonly options: SubscribeOptions,
    private readonly dataSource: DataSource | undefined,
    private readonly publish: (topic: string, messages: OutgoingMessage[]) => Promise<void>,
    private readonly onClosed: () => void,
  ) {
    this.logger = new Logger(`KafkaSubscription:${options.groupId}`);
    this.restarts = new ConsumerRestarts(
      () => this.run(),
      (error) => this.logger.error(`consumer restart failed: ${describe(error)}`),
    );
    this.inGroup = consumerRunning(consumer);
    this.rounds = new KafkaRounds(options.concurrency ?? 1, options.maxBatchSize ?? 500, (parts) =>
      this.handleRound(parts),
    );
  }

  get running(): boolean {
    return this.inGroup() && !this.restarts.isClosed;
  }

  async start(): Promise<void> {
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => this.restartAfterCrash(payload.error));
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: true });
    await this.run();
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    await this.restarts.close();
    // kafkajs waits for the batch in flight before it leaves the group.
    await this.consumer.disconnect();
    this.onClosed();
  }

  /** After a crash the consumer has left its group; it joins again from the committed offsets. */
  private run(): Promise<void> {
    return this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Enough workers that every partition of a fetch reaches eachBatch at once, to share a round.
      partitionsConsumedConcurrently: ROUND_WIDTH,
      eachBatch: (payload) => this.rounds.take(payload),
    });
  }

  /**
   * kafkajs gave up on errors it does not call retriable (authorisation, configuration); we keep
   * trying, since a stopped consumer silently stops the pipeline, but slowly and at error level.
   */
  private restartAfterCrash(error: Error): void {
    if (this.restarts.isClosed) return;
    const { retryTime } = error as { retryTime?: unknown };
    if (!isRetriable(error)) {
      this.logger.error(`consumer crashed (${describe(error)}); restarting in ${FATAL_RESTART_DELAY_MS} ms`);
      this.restarts.schedule(FATAL_RESTART_DELAY_MS);
      return;
    }
    const delayMs = typeof retryTime === 'number' && retryTime > 0 ? retryTime : DEFAULT_RESTART_DELAY_MS;
    const level = isRebalancing(describe(error)) ? 'log' : 'warn';
    this.logger[level](`consumer crashed (${describe(error)}); restarting in ${delayMs} ms`);
    this.restarts.schedule(delayMs);
  }

  /**
   * One handler call over its partitions' next messages (see KafkaRounds). Handled: their offsets
   * are committed in one request. Failed: each partition goes back to its first message of the
   * call, nothing after it being committed, and they come again after the backoff.
   */
  private async handleRound(parts: RoundPart[]): Promise<RoundOutcome> {
    const heartbeat = parts[0]!.payload.heartbeat;
    try {
      await this.options.handler(parts.flatMap(consumedOf), this.context());
    } catch (error) {
      this.failures += 1;
      const starts = parts.map((part) => ({ ...topicPartition(part.payload), offset: firstOffset(part) }));
      this.logger.warn(roundFailed(starts, this.failures, error));
      for (const start of starts) this.consumer.seek(start);
      await sleep(retryDelayMs(this.failures));
      await heartbeat();
      return 'again';
    }
    this.failures = 0;
    await this.consumer.commitOffsets(
      parts.map((part) => ({
        ...topicPartition(part.payload),
        offset: (BigInt(lastOffset(part)) + 1n).toString(),
      })),
    );
    for (const part of parts) part.payload.resolveOffset(lastOffset(part));
    await heartbeat();
    return 'handled';
  }

  private context(): BatchContext {
    const dataSource = this.dataSource;
    return {
      transaction: (work) => {
        if (!dataSource)
          throw new Error('this bus was created without a database; transaction() is unavailable');
        return batchTransaction(dataSource, work);
      },
      // Kafka cannot join a database transaction: published before the batch's transaction commits.
      publish: (topic, messages) => this.publish(topic, messages),
    };
  }
}

/** A round part's messages as the handler gets them. */
function consumedOf({ payload: { batch }, messages }: RoundPart): ConsumedMessage[] {
  return messages.map((m) => ({
    topic: batch.topic,
    partition: batch.partition,
    offset: m.offset,
    key: m.key?.toString() ?? '',
    value: m.value ?? Buffer.alloc(0),
    headers: decodeHeaders(m.headers),
    timestamp: Number(m.timestamp),
  }));
}

function topicPartition({ batch }: RoundPart['payload']): { topic: string; partition: number } {
  return { topic: batch.topic, partition: batch.partition };
}

function firstOffset(part: RoundPart): string {
  return part.messages[0]!.offset;
}

function lastOffset(part: RoundPart): string {
  return part.messages[part.messages.length - 1]!.offset;
}

function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    decoded[name] = Array.isArray(value) ? value.map(String).join(',') : value.toString();
  }
  return decoded;
}
