import { IsIn, IsOptional } from 'class-validator';
import { PageCursor, PageLimit } from '@hub/runtime';
import type { DeliveryStatus } from '../delivery.repository.js';

export class ListDeliveriesQuery {
  @IsOptional()
  @IsIn(['pending', 'sending', 'succeeded', 'failed'], {
    message: 'status must be pending, sending, succeeded or failed',
  })
  status?: DeliveryStatus;

  @PageLimit(100)
  limit?: number;

  @PageCursor(/^\d{1,18}$/)
  cursor?: string;
}
