import { SOURCE_ID } from '@hub/contracts';
import { PageCursor, PageLimit } from '@hub/runtime';

export class ListSourcesQuery {
  @PageLimit(100)
  limit?: number;

  @PageCursor(SOURCE_ID)
  cursor?: string;
}
