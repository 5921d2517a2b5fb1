import type { EntityManager } from 'typeorm';

/** An item that failed on its own, with why; the caller dead-letters it and moves on. */
export interface Poisoned<T> {
  item: T;
  error: string;
}

export interface IsolatedResult<T, R> {
  results: R[];
  poisoned: Array<Poisoned<T>>;
}

/**
 * SQLSTATE classes that say nothing about the data: the connection, the server or a concurrent
 * transaction failed, and the same item may well succeed next time. 08 connection, 40 rollback
 * (serialization, deadlock), 53 insufficient resources, 55 object not in prerequisite state (lock
 * not available), 57 operator intervention (shutdown, cancel), 58 system error, XX internal.
 */
const TRANSIENT_CLASSES = new Set(['08', '40', '53', '55', '57', '58', 'XX']);

/**
 * Applies `items` in order inside the caller's transaction, and keeps every item that fails on
 * its own out of the way, so one bad message can never hold its partition.
 *
 * The whole list runs under one savepoint first (the common case costs two round trips). If it
 * fails for a reason that is about the data, the list is bisected, each half under a savepoint of
 * its own, left before right so the order holds, until the failing items stand alone; those are
 * returned as poisoned and everything else is applied. The verdict is made and committed in the
 * same transaction as the batch's offsets (and its dead letters on the Postgres log), so it is
 * never forgotten by a rollback or a restart, and the same data meets the same verdict again.
 *
 * A failure that is not about the data (a transient SQLSTATE, or a connection that can no longer
 * even roll back to its savepoint) is rethrown: the batch fails whole and comes again later.
 */
export async function applyIsolatingPoison<T, R>(
  manager: EntityManager,
  items: T[],
  apply: (items: T[]) => Promise<R[]>,
): Promise<IsolatedResult<T, R>> {
  const outcome: IsolatedResult<T, R> = { results: [], poisoned: [] };
  if (items.length > 0) await applySplitting(manager, items, apply, outcome, 0);
  return outcome;
}

async function applySplitting<T, R>(
  manager: EntityManager,
  items: T[],
  apply: (items: T[]) => Promise<R[]>,
  outcome: IsolatedResult<T, R>,
  depth: number,
): Promise<void> {
  const savepoint = `poison_${depth}`;
  await manager.query(`SAVEPOINT ${savepoint}`);
  try {
    const results = await apply(items);
    await manager.query(`RELEASE SAVEPOINT ${savepoint}`);
    outcome.results.push(...results);
    return;
  } catch (error) {
    if (isTransient(error)) throw error;
    // A broken connection cannot roll back either: then the failure was never about the data.
    await manager.query(`ROLLBACK TO SAVEPOINT ${savepoint}`).catch(() => {
      throw error;
    });
    await manager.query(`RELEASE SAVEPOINT ${savepoint}`);
    if (items.length === 1) {
      outcome.poisoned.push({ item: items[0]!, error: describeError(error) });
      return;
    }
  }
  const middle = Math.ceil(items.length / 2);
  await applySplitting(manager, items.slice(0, middle), apply, outcome, depth + 1);
  await applySplitting(manager, items.slice(middle), apply, outcome, depth + 1);
}

/** True when the error names a SQLSTATE of a class that says nothing about the data. */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && TRANSIENT_CLASSES.has(code.slice(0, 2));
}

function describeError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${message} (SQLSTATE ${code})` : message;
}
