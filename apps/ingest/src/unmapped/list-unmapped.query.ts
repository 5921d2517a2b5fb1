import { PageCursor, PageLimit } from '@hub/runtime';

export class ListUnmappedQuery {
  @PageLimit(100)
  limit?: number;

  @PageCursor(/^[0-9]{1,18}$/)
  cursor?: string;
}
