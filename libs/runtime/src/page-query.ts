import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

/** `limit` of a paged list: optional, a whole number from 1 to `max`. */
export function PageLimit(max: number): PropertyDecorator {
  return applyDecorators(
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(max),
  );
}

/** `cursor` of a paged list: optional, and only ever a `next_cursor` this API gave out (`shape`). */
export function PageCursor(shape: RegExp): PropertyDecorator {
  return applyDecorators(
    IsOptional(),
    Matches(shape, { message: 'cursor must be a next_cursor from a previous page' }),
  );
}
