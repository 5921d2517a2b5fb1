import { PageCursor, PageLimit } from '@hub/runtime';

export class ListSourcesQuery {
  @PageLimit(100)
  limit?: number;

  @PageCursor(/^src_[A-Za-z0-9_-]{1,64}$/)
  cursor?: string;
}
