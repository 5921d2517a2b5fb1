import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { dealInto, shareOfBatch } from '../consumer-rounds.js';

/** One partition's next messages in a handler call, and the kafkajs batch they come from. */
export interface RoundPart {
  payload: EachBatchPayload;
  messages: KafkaMessage[];
}

/** Whether a handler call's messages were handled, or are to come again from its first offsets. */
export type RoundOutcome = 'handled' | 'again';

/** A partition's batch from a fetch, waiting for rounds to hand its messages over. */
interface PendingBatch {
  payload: EachBatchPayload;
  /** Its first message not handed over yet. */
  next: number;
  /** Handled to its end, given up to come again, or failed: its `eachBatch` call has returned. */
  settled: boolean;
  finish: () => void;
  fail: (error: unknown) => void;
}

/**
 * Rounds on Kafka (docs/adr/0019): kafkajs calls `eachBatch` once per partition, side by side for
 * the partitions of one fetch. Each call's batch waits here until the current macrotask ends, so
 * a fetch's batches are gathered; a round then deals them into at most `concurrency` handler
 * calls, each taking every one of its partitions' next share of `maxBatchSize` messages. A batch's
 * fixed cost (its transaction, the handler's per-batch statements) is paid once per round instead
 * of once per partition, as on the Postgres log. A partition is in one handler call at a time and
 * its next share waits for the previous one, so its messages stay in order.
 */
export class KafkaRounds {
  private pending: PendingBatch[] = [];
  private running = false;

  constructor(
    private readonly concurrency: number,
    private readonly maxBatchSize: number,
    private readonly handle: (parts: RoundPart[]) => Promise<RoundOutcome>,
  ) {}

  /** kafkajs's `eachBatch`: settles when the batch was handled, given up to come again, or stale. */
  take(payload: EachBatchPayload): Promise<void> {
    return new Promise((finish, fail) => {
      this.pending.push({ payload, next: 0, settled: false, finish, fail });
      if (this.running) return;
      this.running = true;
      setImmediate(() => void this.runRounds());
    });
  }

  private async runRounds(): Promise<void> {
    while (this.pending.length > 0) {
      this.pending = this.pending.filter((batch) => {
        const { isRunning, isStale } = batch.payload;
        if (isRunning() && !isStale()) return true;
        batch.finish();
        return false;
      });
      const calls = dealInto(this.pending, this.concurrency);
      await Promise.all(calls.map((batches) => this.handOver(batches.slice(0, this.maxBatchSize))));
      this.pending = this.pending.filter((batch) => !batch.settled);
    }
    this.running = false;
  }

  /** One handler call over the next share of each of `batches`. */
  private async handOver(batches: PendingBatch[]): Promise<void> {
    const share = shareOfBatch(this.maxBatchSize, batches.length);
    const parts = batches.map((batch) => ({
      payload: batch.payload,
      messages: batch.payload.batch.messages.slice(batch.next, batch.next + share),
    }));
    let outcome: RoundOutcome;
    try {
      outcome = await this.handle(parts);
    } catch (error) {
      for (const batch of batches) settle(batch, () => batch.fail(error));
      return;
    }
    for (const [i, batch] of batches.entries()) {
      batch.next += parts[i]!.messages.length;
      if (outcome === 'again' || batch.next >= batch.payload.batch.messages.length)
        settle(batch, batch.finish);
    }
  }
}

function settle(batch: PendingBatch, how: () => void): void {
  batch.settled = true;
  how();
}
