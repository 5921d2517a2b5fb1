import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import type { DeliveryStatus } from '../delivery.repository.js';

export class ListDeliveriesQuery {
  @IsOptional()
  @IsIn(['pending', 'sending', 'succeeded', 'failed'], {
    message: 'status must be pending, sending, succeeded or failed',
  })
  status?: DeliveryStatus;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'cursor must be a next_cursor from a previous page' })
  cursor?: string;
}
