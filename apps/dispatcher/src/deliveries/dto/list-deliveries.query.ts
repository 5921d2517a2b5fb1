import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '@hub/runtime';
import type { DeliveryStatus } from '../delivery.repository.js';
import { DELIVERY_STATUSES } from './delivery.view.js';

export class ListDeliveriesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES, { message: 'status must be pending, sending, succeeded or failed' })
  status?: DeliveryStatus;
}
