import { defineQuery, execute } from '@hub/persistence';
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
 * SQLSTATE classes that are about the data itself, so the same item fails the same way every time:
 * 22 data exception (invalid JSON text, a date out of range, a value too long), 23 integrity
 * constraint violation, 54 program limit exceeded (a value or row too large). Anything else (a
 * lost connection, a deadlock, a read-only server after a failover, a table missing during a
 * deploy, a bug in our own code) says nothing about the item: the batch fails whole and comes
 * again, holding its partition until the cause is fixed rather than dead-lettering good events.
 */
const DATA_CLASSES = new Set(['22', '23', '54']);

/**
 * Applies `items` in order inside the caller's transaction, and keeps every item that fails on
 * its own out of the way, so one bad message can never hold its partition.
 *
 * The whole list runs under one savepoint first (the common case costs two round trips). If it
 * fails for a reason that is about the data, the list is bisected, each half under a savepoint of
 * its own, left before right so the order holds, until the failing items stand alone; those are
 * returned as poisoned and everything else is applied. The verdict is made in the batch's
 * transaction: on the Postgres log it commits with the batch's offsets and dead letters, so no
 * rollback or restart forgets it; on Kafka a crash between the dead-letter publish and the commit
 * sends the batch again, and the same data meets the same verdict (its dead letter may come twice).
 *
 * A failure that is not about the data (a SQLSTATE outside DATA_CLASSES, any other error, or a
 * connection that can no longer even roll back to its savepoint) is rethrown: the batch fails
 * whole and comes again later.
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
  await execute(manager, defineQuery(`SAVEPOINT ${savepoint}`));
  try {
    const results = await apply(items);
    await execute(manager, defineQuery(`RELEASE SAVEPOINT ${savepoint}`));
    outcome.results.push(...results);
    return;
  } catch (error) {
    if (!isAboutTheData(error)) throw error;
    // A broken connection cannot roll back either: then the failure was never about the data.
    await execute(manager, defineQuery(`ROLLBACK TO SAVEPOINT ${savepoint}`)).catch(() => {
      throw error;
    });
    await execute(manager, defineQuery(`RELEASE SAVEPOINT ${savepoint}`));
    if (items.length === 1) {
      outcome.poisoned.push({ item: items[0]!, error: describeError(error) });
      return;
    }
  }
  const middle = Math.ceil(items.length / 2);
  await applySplitting(manager, items.slice(0, middle), apply, outcome, depth + 1);
  await applySplitting(manager, items.slice(middle), apply, outcome, depth + 1);
}

/** True when the error names a SQLSTATE of a class that is about the data (DATA_CLASSES). */
function isAboutTheData(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && DATA_CLASSES.has(code.slice(0, 2));
}

function describeError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${message} (SQLSTATE ${code})` : message;
}
