import { defineQuery, rowsOf } from '@hub/persistence';
import type { EntityManager } from 'typeorm';

/**
 * Deletes, in every partition of `topic`, the oldest messages created before `cutoff`: only a
 * prefix of each partition, as Kafka's time retention drops its oldest segments, so a partition
 * never has a hole before a message that is still kept. Reads at most `limit` messages in all from
 * the partitions' heads (the primary key's order), so a batch costs the same however long the log.
 *
 * Consumer positions stay valid: a group's committed offset is the next offset it reads, and it
 * reads `offset >= committed`, so a position below what was deleted reads on from the first message
 * kept. The caller decides which topics: never a canonical one (the source of truth, ADR 0004).
 */
export async function prunePostgresLogTopic(
  manager: EntityManager,
  topic: string,
  cutoff: Date,
  limit: number,
): Promise<{ deleted: number; more: boolean }> {
  const [partitions] = await rowsOf(manager, PARTITION_COUNT, [topic]);
  if (!partitions || partitions.count === 0) return { deleted: 0, more: false };
  const perPartition = Math.max(1, Math.floor(limit / partitions.count));
  const [result] = await rowsOf(manager, PRUNE_HEADS, [topic, cutoff, perPartition]);
  const deleted = result?.deleted ?? 0;
  // A partition whose whole head was due may have more due behind it.
  return { deleted, more: (result?.full_partitions ?? 0) > 0 };
}

/**
 * Deletes every message keyed to the tenant (keys are `<tenant id>/<entity id>`, see entityKey),
 * on every topic, canonical ones included: erasing a tenant removes what the log holds of it. Per
 * topic, how many were deleted. Offsets are never reused, so consumers read on past the holes.
 */
export async function erasePostgresLogTenant(
  manager: EntityManager,
  tenantId: string,
): Promise<Record<string, number>> {
  const rows = await rowsOf(manager, ERASE_KEYED, [`${tenantId}/`]);
  return Object.fromEntries(rows.map((row) => [row.topic, row.deleted]));
}

const PARTITION_COUNT = defineQuery<{ count: number }>(
  'SELECT count(*)::int AS count FROM bus_partitions WHERE topic = $1',
);

// Per partition, its first $3 messages by offset; of those, the ones before the partition's first
// young message are due. `full_partitions` counts partitions whose whole head was due.
const PRUNE_HEADS = defineQuery<{ deleted: number; full_partitions: number }>(`
  WITH heads AS (
         SELECT p.partition, h."offset", h.created_at
           FROM bus_partitions p
          CROSS JOIN LATERAL (
                SELECT m."offset", m.created_at FROM bus_messages m
                 WHERE m.topic = p.topic AND m.partition = p.partition
                 ORDER BY m."offset" LIMIT $3) h
          WHERE p.topic = $1),
       due AS (
         SELECT h.partition, h."offset" FROM heads h
          WHERE h."offset" < COALESCE(
                  (SELECT min(y."offset") FROM heads y WHERE y.partition = h.partition AND y.created_at >= $2),
                  9223372036854775807)),
       deleted AS (
         DELETE FROM bus_messages m USING due d
          WHERE m.topic = $1 AND m.partition = d.partition AND m."offset" = d."offset"
         RETURNING m.partition)
  SELECT (SELECT count(*)::int FROM deleted) AS deleted,
         (SELECT count(*)::int FROM (SELECT partition FROM due GROUP BY partition HAVING count(*) >= $3) f)
           AS full_partitions`);

// A sequential scan of the log, by design: erasing is a rare operator command, and an index on the
// key would cost every append of every topic.
const ERASE_KEYED = defineQuery<{ topic: string; deleted: number }>(`
  WITH deleted AS (DELETE FROM bus_messages WHERE starts_with(key, $1) RETURNING topic)
  SELECT topic, count(*)::int AS deleted FROM deleted GROUP BY topic ORDER BY topic`);
