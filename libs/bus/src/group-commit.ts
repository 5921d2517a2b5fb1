import {
  assertTopicName,
  BusUnavailableError,
  type OutgoingMessage,
  type TopicMessages,
} from './bus.port.js';
import { measureAppend, measurePublish } from './bus.metrics.js';
import { describe } from './describe-error.js';

export interface GroupCommitOptions {
  /**
   * How long the first caller of an idle publisher waits for others to join its append. 0: the
   * append starts on the next turn of the event loop, so only calls made in the same turn join it
   * (and, under load, every call made while the previous append was in flight).
   */
  lingerMs: number;
  /** Most messages in one append; a caller's own messages are never split across appends. */
  maxMessages: number;
  /** Most value bytes in one append, by the same rule. */
  maxBytes: number;
}

/** One transport's durable write of every batch at once: one transaction, one produce request. */
export type AppendAll = (batches: TopicMessages[]) => Promise<void>;

interface Caller {
  batches: TopicMessages[];
  messages: number;
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: concurrent publish calls of one process become one append. One append is in flight
 * at a time; calls made meanwhile queue, and join the next append as soon as it ends (they waited
 * longer than any window already), up to the size bounds. Each caller resolves only when the append
 * holding its messages is durable, and every caller of a failed append is rejected with its error.
 *
 * Order: callers join appends in call order and appends run one after another, and within an append
 * each topic's messages keep call order, so messages with one key keep the order they were published
 * in, across callers. A single appender per process also means a process never waits on its own
 * partition locks (see docs/adr/0013-group-commit.md).
 */
export class GroupCommit {
  private readonly queue: Caller[] = [];
  private queuedMessages = 0;
  private queuedBytes = 0;
  private appending = false;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;

  constructor(
    private readonly transport: string,
    private readonly appendAll: AppendAll,
    private readonly options: GroupCommitOptions,
  ) {}

  /**
   * A bus's publish: the topics checked and created if need be (`ensureTopic`), then the messages
   * in the next append. Measured per topic; any failure is a BusUnavailableError naming the topics.
   */
  async publishTopics(
    batches: TopicMessages[],
    ensureTopic: (topic: string) => Promise<unknown>,
  ): Promise<void> {
    batches.forEach(({ topic }) => assertTopicName(topic));
    const published = batches.map(({ topic, messages }) => measurePublish(topic, messages.length));
    try {
      for (const { topic } of batches) await ensureTopic(topic);
      await this.publish(batches);
    } catch (error) {
      const topics = [...new Set(batches.map(({ topic }) => topic))].join(', ');
      throw new BusUnavailableError(`${this.transport}: could not publish to ${topics}: ${describe(error)}`, {
        cause: error,
      });
    }
    published.forEach((done) => done());
  }

  /** Resolves once every message of `batches` is durable; rejects with the append's error. */
  publish(batches: TopicMessages[]): Promise<void> {
    const messages = batches.reduce((sum, batch) => sum + batch.messages.length, 0);
    if (messages === 0) return Promise.resolve();
    const bytes = batches.reduce((sum, batch) => sum + valueBytes(batch.messages), 0);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ batches, messages, bytes, resolve, reject });
      this.queuedMessages += messages;
      this.queuedBytes += bytes;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.appending) return;
    if (this.full()) {
      this.cancelTimer();
      void this.appendNext();
      return;
    }
    if (this.timer) return;
    const start = () => {
      this.timer = undefined;
      void this.appendNext();
    };
    this.timer = this.options.lingerMs > 0 ? setTimeout(start, this.options.lingerMs) : setImmediate(start);
  }

  private full(): boolean {
    return this.queuedMessages >= this.options.maxMessages || this.queuedBytes >= this.options.maxBytes;
  }

  private cancelTimer(): void {
    if (!this.timer) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }

  private async appendNext(): Promise<void> {
    const callers = this.takeGroup();
    if (callers.length === 0) return;
    this.appending = true;
    const appended = measureAppend(this.transport, callers.length);
    try {
      const batches = mergeByTopic(callers);
      await this.appendAll(batches);
      appended(countMessages(batches));
      for (const caller of callers) caller.resolve();
    } catch (error) {
      for (const caller of callers) caller.reject(error);
    } finally {
      this.appending = false;
      // Whoever queued during this append has waited long enough: go on at once.
      if (this.queue.length > 0) void this.appendNext();
    }
  }

  /** The callers of the next append, in call order, within the size bounds (at least one). */
  private takeGroup(): Caller[] {
    const group: Caller[] = [];
    let messages = 0;
    let bytes = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      const fits =
        messages + next.messages <= this.options.maxMessages && bytes + next.bytes <= this.options.maxBytes;
      if (group.length > 0 && !fits) break;
      this.queue.shift();
      group.push(next);
      messages += next.messages;
      bytes += next.bytes;
    }
    this.queuedMessages -= messages;
    this.queuedBytes -= bytes;
    return group;
  }
}

/** One batch per topic, in order of first appearance, each topic's messages in call order. */
export function mergeByTopic(callers: Array<{ batches: TopicMessages[] }>): TopicMessages[] {
  const byTopic = new Map<string, OutgoingMessage[]>();
  for (const { batches } of callers) {
    for (const { topic, messages } of batches) {
      const merged = byTopic.get(topic);
      if (merged) merged.push(...messages);
      else byTopic.set(topic, [...messages]);
    }
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

function countMessages(batches: TopicMessages[]): number {
  return batches.reduce((sum, batch) => sum + batch.messages.length, 0);
}

function valueBytes(messages: OutgoingMessage[]): number {
  let bytes = 0;
  // A string's length stands in for its UTF-8 size: the bound is a guard, not an exact limit.
  for (const { value } of messages) bytes += value.length;
  return bytes;
}
