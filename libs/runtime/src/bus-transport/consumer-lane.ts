import type { ConsumedMessage } from '@hub/bus';

/** A message the lane could decode, with the message it came in (its offset, for a dead letter). */
export interface Decoded<T> {
  value: T;
  message: ConsumedMessage;
}

/** A message that goes to the dead-letter topic, and why. */
export interface Rejected {
  message: ConsumedMessage;
  error: string;
}

/**
 * What a lane makes of one message's bytes: the value its handler takes, or why it never can
 * (a message contract's `parse`, as libs/contracts exports it for each message type).
 */
export type LaneParse<T> = (value: Buffer) => { value: T } | { error: string };

/**
 * One logical consumer of an app: the `@EventPattern` name its handler listens on maps to a
 * consumer group over some topics. Group ids, topics and sizes come from the app's settings,
 * which is why handlers name lanes rather than topics.
 */
export interface ConsumerLane<T> {
  groupId: string;
  /**
   * The consumer its dead letters name (`group`), when that is not `groupId`: several lanes of one
   * consumer (the projector's main and slow lanes) report as that one consumer.
   */
  deadLetterGroup?: string;
  topics: string[];
  /** Most messages handed to one handler call. */
  maxBatchSize: number;
  /** Handler calls at the same time (SubscribeOptions.concurrency). */
  concurrency: number;
  /** Runs once per message before the handler: what fails here is dead-lettered, never handled. */
  parse: LaneParse<T>;
  /**
   * With tracing on, the name of each message's span (`projector apply`): the lane's work, in the
   * message's trace. Default `<lane> process`.
   */
  spanName?: string;
  /** Runs after each batch the handler finished, with how long it took (a lane's pace). */
  afterBatch?: (busyMs: number) => Promise<void>;
}

/** Every lane of an app by its pattern name; the app builds it from its settings. */
export type LaneTable = Record<string, ConsumerLane<unknown>>;
