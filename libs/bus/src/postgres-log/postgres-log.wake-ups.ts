/**
 * A partition's id, `topic/partition`: the key of a consumer's owned partitions, and the payload
 * an append notifies for each partition it wrote to. Topic names never hold a `/` (TOPIC_NAME),
 * so the last one splits them.
 */
export function partitionId(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

/** What the next poll reads: the partitions named since the last one, and whether to check them all. */
export interface Wanted {
  /** Check every owned partition for messages (one statement) rather than read only the marked ones. */
  all: boolean;
  marked: ReadonlySet<string>;
}

/**
 * Which of a consumer's partitions may hold messages it has not read. Every append notifies each
 * partition it wrote to, so a consumer under load reads exactly those and skips the statement that
 * asks which of its partitions hold anything (a round trip before every read, and Postgres planned
 * it anew each time). That statement still runs:
 * - when the consumer may have missed notifications: at start, after a reconnect, and for a
 *   partition it has just claimed, whose backlog no notification names;
 * - for a notification naming a topic alone, as appends of earlier versions send;
 * - at least every `checkEveryMs`, whatever was notified, so a lost notification delays a message
 *   by that much at most, never for ever.
 * A partition read to the end of its share of the batch is marked again (it may hold more), and so
 * is a failed round's, for its retry.
 */
export class PartitionWakeUps {
  private marked = new Set<string>();
  private checkAllAt = 0;

  constructor(
    private readonly topics: readonly string[],
    private readonly checkEveryMs: number,
  ) {}

  /** A NOTIFY on the bus's channel; true when it names one of this consumer's topics. */
  notice(payload: string | undefined): boolean {
    if (payload === undefined) return false;
    if (this.topics.includes(payload)) {
      this.checkAll();
      return true;
    }
    const slash = payload.lastIndexOf('/');
    if (slash < 0 || !this.topics.includes(payload.slice(0, slash))) return false;
    this.marked.add(payload);
    return true;
  }

  /** A partition, by its id, that the next poll reads. */
  mark(id: string): void {
    this.marked.add(id);
  }

  /** The next poll checks every partition. */
  checkAll(): void {
    this.checkAllAt = 0;
  }

  /**
   * What the next poll reads; forgets the marks, so that a notification arriving while it reads
   * marks its partition again. Called right before the poll's first statement: anything committed
   * after that statement's snapshot notifies after this call.
   */
  take(now: number): Wanted {
    const all = now >= this.checkAllAt;
    if (all) this.checkAllAt = now + this.checkEveryMs;
    const marked = this.marked;
    this.marked = new Set();
    return { all, marked };
  }
}
