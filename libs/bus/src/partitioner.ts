/**
 * Picks the partition for a key on the Postgres-log transport: stable across processes and
 * restarts (FNV-1a, 32 bit), so one key always lands in one partition and keeps its order.
 */
export function partitionForKey(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}
