import type { ConsumedMessage, EventBus } from './bus.port.js';

/**
 * Every message of `topics` up to their end as of now, handed to `take` in partition order: a
 * fresh consumer group (`groupId`, which must be new) starts at the beginning and stops at the
 * offsets the bus gave before subscribing. For commands that re-read the log (rebuild, remap).
 */
export async function readToEnd(
  bus: EventBus,
  groupId: string,
  topics: string[],
  take: (message: ConsumedMessage) => void,
): Promise<void> {
  const remaining = new Map<string, bigint>();
  for (const topic of topics) {
    // Not the high watermark: on the Postgres log the newest messages of a partition may have been
    // deleted (a tenant erased), and waiting for their offsets would never end.
    for (const { partition, offset } of await bus.storedEndOffsets(topic)) {
      if (BigInt(offset) > 0n) remaining.set(`${topic}/${partition}`, BigInt(offset));
    }
  }
  if (remaining.size === 0) return;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const subscription = await bus.subscribe({
    groupId,
    topics,
    handler: async (messages) => {
      for (const message of messages) {
        const id = `${message.topic}/${message.partition}`;
        const end = remaining.get(id);
        if (end === undefined || BigInt(message.offset) >= end) continue;
        take(message);
        if (BigInt(message.offset) + 1n >= end) remaining.delete(id);
      }
      if (remaining.size === 0) done();
    },
  });
  await finished;
  await subscription.close();
}
