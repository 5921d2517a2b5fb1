import type { EntityManager } from 'typeorm';

/** A message as a producer hands it to the bus. */
export interface OutgoingMessage {
  /** Partition key: every message with the same key is consumed in publish order. */
  key: string;
  value: Buffer | string;
  headers?: Record<string, string>;
}

/** Messages for one topic, as part of a publish to several topics at once. */
export interface TopicMessages {
  topic: string;
  messages: OutgoingMessage[];
}

/** A message as a consumer receives it. */
export interface ConsumedMessage {
  topic: string;
  partition: number;
  /** Decimal string, as Kafka gives it: offsets can exceed 2^53. */
  offset: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  /** Milliseconds since the epoch at which the bus stored the message. */
  timestamp: number;
}

/**
 * What a handler may do with the batch it is given. `transaction` runs the handler's writes in one
 * database transaction. On the Postgres-log transport the consumer's offset is committed inside that
 * same transaction (exactly-once state); on Kafka the offset is committed right after it commits.
 */
export interface BatchContext {
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T>;
  /**
   * Publishes what the batch causes. Inside `transaction` on the Postgres log the messages are
   * appended in that same transaction: they become visible exactly when the batch's writes and
   * offset commit, and not at all if it rolls back, and the batch pays one commit instead of two.
   * Elsewhere (Kafka, or outside `transaction`) the same as EventBus.publish.
   */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
}

/**
 * Handles one batch of messages: those of every partition its round took (each partition's
 * messages together and in offset order, so every key's are). The batch's offsets are committed
 * only after the returned promise resolves; if it rejects, nothing of the batch is committed and
 * the batch comes again.
 */
export type BatchHandler = (messages: ConsumedMessage[], context: BatchContext) => Promise<void>;

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  handler: BatchHandler;
  /** Most messages handed to one handler call. */
  maxBatchSize?: number;
  /**
   * Handler calls at the same time (default 1), each over its share of the partitions that have
   * messages (on Kafka, of those one fetch brought): a round (docs/adr/0019).
   */
  concurrency?: number;
}

export interface Subscription {
  /** Stops fetching, waits for the batch in flight to finish and commit, then leaves the group. */
  close(): Promise<void>;
  /**
   * Whether it consumes now: false while it is down after a failure (a crashed Kafka consumer until
   * it rejoins its group, a Postgres-log consumer until its lease connection is back) and once closed.
   */
  readonly running: boolean;
}

export type TransportName = 'kafka' | 'postgres-log';

/** The port every app publishes and consumes through; it never knows which transport is behind it. */
export interface EventBus {
  readonly transport: TransportName;
  /**
   * Resolves only once every message is durably stored by the transport; rejects otherwise.
   * Concurrent calls of one process are coalesced into one append (group commit: one transaction on
   * the Postgres log, one produce request on Kafka); each caller still waits for its own messages,
   * and every caller of a failed append is rejected.
   */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  /**
   * Several topics in one append. On the Postgres log all of it commits or none of it does; on
   * Kafka it is one produce request, which a failure may leave partly written (a retry then writes
   * those messages twice, which consumers already tolerate: ids are deterministic).
   */
  publishAll(batches: TopicMessages[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /**
   * Creates the topics that do not exist yet. On Kafka with topic creation off it creates nothing
   * and, unless told not to, checks instead that each topic is as the system needs it, rejecting
   * with a TopicCheckError that lists what falls short (docs/kafka.md). An app calls it at start
   * for every topic it uses: on the Postgres log a topic first met inside a consumer's transaction
   * would be created on a second connection, whose DDL waits for that very transaction's lock on
   * the log table while the transaction waits for it.
   */
  ensureTopics(topics: string[]): Promise<void>;
  /** Resolves when the transport answers; rejects with the reason when it does not. */
  ping(): Promise<void>;
  /** Per partition, the offset the next message will get (Kafka's high watermark). */
  latestOffsets(topic: string): Promise<Array<{ partition: number; offset: string }>>;
  /**
   * Per partition, one past the last message still stored: what a reader of the whole topic waits
   * for. The same as latestOffsets, except on the Postgres log after the newest messages of a
   * partition were deleted (a tenant erased): its offsets are never reused, so the high watermark
   * stays above the last message left.
   */
  storedEndOffsets(topic: string): Promise<Array<{ partition: number; offset: string }>>;
  /**
   * Per partition, the next offset `groupId` will read on `topic` (what it committed); a partition
   * where it has committed nothing yet is left out.
   */
  committedOffsets(groupId: string, topic: string): Promise<Array<{ partition: number; offset: string }>>;
  close(): Promise<void>;
}

export const EVENT_BUS = Symbol('EVENT_BUS');

/** Publishing failed: the caller must treat the messages as not sent (ingest answers 503). */
export class BusUnavailableError extends Error {
  override readonly name = 'BusUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,200}$/;

/** Kafka's own rule for topic names; the Postgres log keeps to it so topics move between transports. */
export function assertTopicName(topic: string): void {
  if (!TOPIC_NAME.test(topic))
    throw new Error(`invalid topic name ${JSON.stringify(topic)}: use [A-Za-z0-9._-], 1-200 characters`);
}
