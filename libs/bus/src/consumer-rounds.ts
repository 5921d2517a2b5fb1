import { describe } from './describe-error.js';

/**
 * What a consumer round does the same on both transports (docs/adr/0019): the partitions that
 * have messages are dealt into at most `concurrency` batches, each partition gets an equal share
 * of its batch's size, and a failed batch is reported the same way.
 */

/** `ready` dealt in turn into at most `count` non-empty groups. */
export function dealInto<T>(ready: T[], count: number): T[][] {
  const groups: T[][] = Array.from({ length: Math.min(count, ready.length) }, () => []);
  ready.forEach((item, i) => groups[i % groups.length]!.push(item));
  return groups;
}

/**
 * Messages each of `partitions` partitions brings to a batch of at most `most`: an equal share,
 * at least one (callers take at most `most` partitions into a batch).
 */
export function shareOfBatch(most: number, partitions: number): number {
  return Math.max(1, Math.floor(most / partitions));
}

/** The warning for a handler call that failed: where each of its partitions starts again. */
export function roundFailed(
  starts: Array<{ topic: string; partition: number; offset: string | bigint }>,
  tries: number,
  error: unknown,
): string {
  const where = starts.map(({ topic, partition, offset }) => `${topic}/${partition}@${offset}`).join(', ');
  return `handler failed on ${where} (try ${tries}): ${describe(error)}; the batch will come again`;
}
