import { ApiPropertyOptional } from '@nestjs/swagger';
import { API_KEY_PAGE_MAX } from '@hub/tenancy';
import { PageCursor, PageLimit } from '@hub/runtime';

const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class ListApiKeysQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: API_KEY_PAGE_MAX, default: 50 })
  @PageLimit(API_KEY_PAGE_MAX)
  limit?: number;

  @ApiPropertyOptional({ description: '`next_cursor` of the previous page' })
  @PageCursor(KEY_ID)
  cursor?: string;
}
