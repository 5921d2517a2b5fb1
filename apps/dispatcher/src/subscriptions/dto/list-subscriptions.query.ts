import { PageCursor, PageLimit } from '@hub/runtime';

export class ListSubscriptionsQuery {
  @PageLimit(100)
  limit?: number;

  @PageCursor(/^sub_[A-Za-z0-9_-]{1,64}$/)
  cursor?: string;
}
