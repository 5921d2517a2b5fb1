import type { CursorShape } from './page-query.js';

/**
 * Parts of list keys every app shares: a cursor's time position, and the ILIKE pattern of a
 * search. One place, so each list checks a cursor and escapes a search the same way.
 */

/** A time to the microsecond, as a cursor carries it (`to_char(… 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`). */
const POSITION_SHAPE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z$/;

/**
 * A cursor part that is a time position: the shape of one, and a real UTC date that reads back
 * the same (no month 13, no 25:61), so only times Postgres takes reach `::timestamptz`. A
 * shape decodeCursor takes, so a cursor with any other is a 400 before any query runs.
 */
export const CURSOR_POSITION: CursorShape = { test: (text) => isCursorPosition(text) };

/** True when `text` is a time position a cursor may carry (see CURSOR_POSITION). */
export function isCursorPosition(text: string): boolean {
  const parts = POSITION_SHAPE.exec(text);
  if (!parts) return false;
  const [, year, month, day, hour, minute, second, micros] = parts;
  // Year 1 on: earlier is no Postgres timestamp as the cursor writes it (no era).
  if (Number(year) < 1) return false;
  const time = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}.${micros!.slice(0, 3)}Z`);
  if (Number.isNaN(time.getTime())) return false;
  // Round trip: Date rolls 2026-02-30 over into March, which is not what the cursor said.
  return time.toISOString().slice(0, 23) === text.slice(0, 23);
}

/** An ILIKE pattern matching any text that contains `text`, its wildcards taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}
