import { applyDecorators, BadRequestException } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

/**
 * The one paging rule of every list of every app: `limit` from 1 to PAGE_LIMIT_MAX (PAGE_LIMIT_DEFAULT
 * when absent), and `cursor` the `next_cursor` of the previous page, null on the last one.
 */
export const PAGE_LIMIT_DEFAULT = 50;
export const PAGE_LIMIT_MAX = 100;

/**
 * A cursor is base64url of a JSON array of strings: the sort key of the page's last item (an id, a
 * sequence number, a time and an id). Clients treat it as opaque; the list that reads it checks each
 * part's shape, so a cursor of another list, or one made up, is a 400 before any query runs.
 */
const CURSOR_TEXT = /^[A-Za-z0-9_-]{1,1000}$/;
const CURSOR_MESSAGE = 'cursor must be a next_cursor from a previous page';

/** `limit` of a paged list: optional, a whole number from 1 to PAGE_LIMIT_MAX. */
export function PageLimit(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      description: `page size (default ${PAGE_LIMIT_DEFAULT})`,
      type: 'integer',
      minimum: 1,
      maximum: PAGE_LIMIT_MAX,
      default: PAGE_LIMIT_DEFAULT,
    }),
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(PAGE_LIMIT_MAX),
  );
}

/** `cursor` of a paged list: optional, and only ever a `next_cursor` this API gave out. */
export function PageCursor(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      description: 'next_cursor of the previous page (opaque); absent for the first page',
      type: String,
      pattern: CURSOR_TEXT.source,
    }),
    IsOptional(),
    Matches(CURSOR_TEXT, { message: CURSOR_MESSAGE }),
  );
}

/** The query of a list with no filters of its own; lists with filters extend it. */
export class PageQuery {
  @PageLimit()
  limit?: number;

  @PageCursor()
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** What a cursor part must pass: a RegExp, or a check a shape alone cannot make (CURSOR_POSITION). */
export interface CursorShape {
  test(part: string): boolean;
}

export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * The sort key in `cursor`, one part per shape, each matching its shape; else a 400. Parts go to
 * Postgres as text, which cannot hold U+0000: a shape must not admit it.
 */
export function decodeCursor(cursor: string, shapes: readonly CursorShape[]): string[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new BadRequestException(CURSOR_MESSAGE);
  }
  const fits =
    Array.isArray(key) &&
    key.length === shapes.length &&
    key.every((part, i) => typeof part === 'string' && !part.includes('\u0000') && shapes[i]!.test(part));
  if (!fits) throw new BadRequestException(CURSOR_MESSAGE);
  return key as string[];
}

/** The limit a query asks for, the default when it names none. */
export function pageLimitOf(query: { limit?: number | undefined }): number {
  return query.limit ?? PAGE_LIMIT_DEFAULT;
}

/**
 * A page from rows read with one more than `limit`: the extra row only says another page follows,
 * whose cursor is the key of this page's last row.
 */
export function pageOf<R, T>(
  rows: readonly R[],
  limit: number,
  keyOf: (row: R) => string[],
  view: (row: R) => T,
): Page<T> {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    data: page.map(view),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}
