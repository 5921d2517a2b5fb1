/** What the system needs of one topic it uses, when it does not create its topics itself. */
export interface TopicNeed {
  topic: string;
  /** At least the partitions the bus would create it with (BUS_PARTITIONS). */
  partitions: number;
  /**
   * Read again from its first message (a projector rebuild reads the canonical topics): nothing in
   * it may ever be deleted, by age, by size or by compaction.
   */
  keptForever: boolean;
}

/** One topic as the broker describes it. */
export interface TopicFound {
  partitions: number;
  /** Its settings by name, as the broker reports them; only those of KEPT_FOREVER_SETTINGS are read. */
  configs: Readonly<Record<string, string | undefined>>;
}

/** The topic settings that decide whether a topic keeps every message for ever. */
export const KEPT_FOREVER_SETTINGS = ['cleanup.policy', 'retention.ms', 'retention.bytes'] as const;

const KEEP_FOR_EVER = 'a rebuild needs -1 (keep for ever)';

/**
 * Every way the topics found fall short of the topics needed, one sentence each, in the order of
 * `needs`; empty when they are as the system needs them. `found` holds the topics that exist.
 */
export function topicProblems(needs: readonly TopicNeed[], found: ReadonlyMap<string, TopicFound>): string[] {
  return needs.flatMap((need) => problemsOf(need, found.get(need.topic)));
}

function problemsOf(need: TopicNeed, found: TopicFound | undefined): string[] {
  const { topic } = need;
  if (!found) return [`topic ${topic} does not exist`];
  const problems: string[] = [];
  // Fewer partitions than the system was sized for caps how many consumers of a group share the
  // work; more are harmless.
  if (found.partitions < need.partitions)
    problems.push(
      `topic ${topic} has ${found.partitions} partition${found.partitions === 1 ? '' : 's'}; the system needs at least ${need.partitions} (BUS_PARTITIONS)`,
    );
  if (!need.keptForever) return problems;
  const policy = found.configs['cleanup.policy'];
  if (policy === undefined) problems.push(`topic ${topic}: the broker did not report cleanup.policy`);
  // Canonical events are keyed by entity: compaction would keep only each entity's last event,
  // and a rebuild needs all of them, in order.
  else if (!isDeleteOnly(policy))
    problems.push(`topic ${topic} has cleanup.policy=${policy}; a rebuild needs delete (no compaction)`);
  for (const name of ['retention.ms', 'retention.bytes'] as const) {
    const value = found.configs[name];
    if (value === undefined)
      problems.push(`topic ${topic}: the broker did not report ${name}; ${KEEP_FOR_EVER}`);
    else if (value.trim() !== '-1') problems.push(`topic ${topic} has ${name}=${value}; ${KEEP_FOR_EVER}`);
  }
  return problems;
}

/** `delete`, and not `compact` too (Kafka takes a comma-separated list: `compact,delete`). */
function isDeleteOnly(policy: string): boolean {
  const policies = policy.split(',').map((each) => each.trim().toLowerCase());
  return policies.length > 0 && policies.every((each) => each === 'delete');
}

/** Topics someone else created are not as the system needs them; the message lists every problem. */
export class TopicCheckError extends Error {
  override readonly name = 'TopicCheckError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}
