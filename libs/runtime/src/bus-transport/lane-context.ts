import type { Logger } from '@nestjs/common';
import { BaseRpcContext } from '@nestjs/microservices';
import {
  applyIsolatingPoison,
  deadLetterMessage,
  type BatchContext,
  type ConsumedMessage,
  type OutgoingMessage,
} from '@hub/bus';
import type { EntityManager } from 'typeorm';
import type { DeadLettered } from './bus-transport.metrics.js';
import type { BatchSpans } from './batch-spans.js';
import type { Decoded, Rejected } from './consumer-lane.js';
import { DeadLetterLines } from './dead-letter-lines.js';

/** Where a lane's rejected messages go, and under which group they are reported. */
export interface DeadLettering {
  topic: string;
  groupId: string;
  logger: Logger;
}

/**
 * The `@Ctx()` of a lane handler: one batch's transaction and publishing (the bus's BatchContext)
 * plus dead-lettering, done here once for every handler. The messages the lane could not decode,
 * and those `applyIsolatingPoison` finds failing on their own, are dead-lettered inside the
 * batch's transaction, so on the Postgres log they commit with the batch's writes, its published
 * messages and its offset, or not at all.
 */
export class LaneContext extends BaseRpcContext<[lane: string]> {
  private manager: EntityManager | undefined;
  private invalidDeadLettered = false;
  private readonly lines: DeadLetterLines;
  /** Dead letters of the open transaction, and of those that committed (for the metrics). */
  private lettersInTransaction: DeadLettered[] = [];
  private lettersCommitted: DeadLettered[] = [];

  constructor(
    lane: string,
    private readonly batch: BatchContext,
    private readonly invalid: Rejected[],
    private readonly deadLetters: DeadLettering,
    private readonly spans?: BatchSpans,
  ) {
    super([lane]);
    this.lines = new DeadLetterLines(deadLetters.logger, deadLetters.groupId);
  }

  /** The lane (the handler's pattern) this batch came in on. */
  get lane(): string {
    return this.args[0];
  }

  /**
   * Runs `work` in the batch's transaction (with the offset commit on the Postgres log). The
   * lane's invalid messages are dead-lettered in it too, after `work` if `applyIsolatingPoison`
   * did not already.
   */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const result = await this.batch.transaction(async (manager) => {
      this.manager = manager;
      try {
        const result = await work(manager);
        if (!this.invalidDeadLettered) await this.deadLetter([]);
        return result;
      } catch (error) {
        // Rolled back: the dead letters written in it are gone with it.
        this.invalidDeadLettered = false;
        this.lines.discard();
        this.lettersInTransaction = [];
        throw error;
      } finally {
        this.manager = undefined;
      }
    });
    this.lettersCommitted.push(...this.lettersInTransaction.splice(0));
    this.lines.write();
    return result;
  }

  /** What the batch's committed transactions dead-lettered, and why. */
  get deadLettered(): readonly DeadLettered[] {
    return this.lettersCommitted;
  }

  /**
   * Applies `items` with `applyIsolatingPoison` in the open transaction, dead-letters the items
   * that fail on their own (and, the first time, the lane's invalid messages) right after, in that
   * transaction, and returns the results of the rest.
   */
  async applyIsolatingPoison<T, R>(
    items: Array<Decoded<T>>,
    apply: (items: Array<Decoded<T>>) => Promise<R[]>,
  ): Promise<R[]> {
    if (!this.manager) throw new Error('applyIsolatingPoison must run inside LaneContext.transaction');
    const { results, poisoned } = await applyIsolatingPoison(this.manager, items, apply);
    await this.deadLetter(poisoned.map(({ item, error }) => ({ message: item.message, error })));
    return results;
  }

  /** Whether the batch is traced: then `traceHeadersOf` names each message's span. */
  get traced(): boolean {
    return this.spans !== undefined;
  }

  /**
   * With tracing on, the W3C headers (`traceparent`, `tracestate`) of the span handling `message`:
   * what the handler publishes or stores on its behalf carries them, so the message's trace goes on.
   */
  traceHeadersOf(message: ConsumedMessage): Record<string, string> | undefined {
    return this.spans?.headersOf(message);
  }

  /** `outgoing`, carrying the trace of the span handling `message` when the batch is traced. */
  inTraceOf(message: ConsumedMessage, outgoing: OutgoingMessage): OutgoingMessage {
    const trace = this.spans?.headersOf(message);
    return trace ? { ...outgoing, headers: { ...outgoing.headers, ...trace } } : outgoing;
  }

  /** Publishes what the batch causes: inside `transaction` on the Postgres log, it commits with it. */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    return this.batch.publish(topic, messages);
  }

  /**
   * After the handler: invalid messages its transaction did not dead-letter (it opened none, or
   * caught its failure) go aside in a transaction of their own, which commits the offset with them.
   */
  async settle(): Promise<void> {
    if (!this.invalidDeadLettered && this.invalid.length > 0) await this.transaction(async () => undefined);
  }

  private async deadLetter(poisoned: Rejected[]): Promise<void> {
    const rejected = this.invalidDeadLettered ? poisoned : [...this.invalid, ...poisoned];
    if (!this.invalidDeadLettered) this.lettersInTransaction.push(...lettered(this.invalid, 'invalid'));
    this.lettersInTransaction.push(...lettered(poisoned, 'poison'));
    this.invalidDeadLettered = true;
    if (rejected.length === 0) return;
    const { topic, groupId } = this.deadLetters;
    for (const { message, error } of rejected) this.spans?.deadLettered(message, error);
    this.lines.add(rejected);
    await this.batch.publish(
      topic,
      rejected.map(({ message, error }) =>
        this.inTraceOf(message, deadLetterMessage(groupId, message, error)),
      ),
    );
  }
}

function lettered(rejected: Rejected[], reason: DeadLettered['reason']): DeadLettered[] {
  return rejected.map(({ message }) => ({ message, reason }));
}
