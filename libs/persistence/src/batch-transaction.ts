import type { DataSource, EntityManager } from 'typeorm';
import { defineQuery, execute } from './typed-query.js';

/**
 * A consumer round's statements take whole batches as arrays (`unnest($1::uuid[], …)`), and a
 * custom plan is made for the length of the arrays at hand. With Postgres's default
 * `plan_cache_mode = auto` the custom plan always looked cheaper than the generic one (made for
 * 100 elements), so every call was planned anew: the unified records' reachable set (a recursive
 * CTE) took about 1.5 ms to plan against 0.2 ms to run. A round's lookups go by primary key or
 * index at any batch size, and on the bench the generic plans ran faster too (ADR 0018).
 *
 * `SET LOCAL` ends with the transaction, so the pooled connection goes back unchanged and the
 * query API's statements, whose optional filters do gain from a custom plan, keep the default.
 */
const GENERIC_PLANS = defineQuery('SET LOCAL plan_cache_mode = force_generic_plan');

/** Runs `work` in one transaction whose statements keep their generic plans (see above). */
export function batchTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  return dataSource.transaction(async (manager) => {
    await execute(manager, GENERIC_PLANS);
    return work(manager);
  });
}
