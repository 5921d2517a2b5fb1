import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { ListDeliveriesQuery } from './list-deliveries.query.js';

/** The tenant's whole delivery log: the per-subscription log's filters, and a subscription. */
export class ListAllDeliveriesQuery extends ListDeliveriesQuery {
  @ApiPropertyOptional({
    description: "only this subscription's deliveries",
    example: 'sub_Yk3n0cQ2p9wTz1aB',
  })
  @IsOptional()
  @Matches(/^sub_[A-Za-z0-9_-]{1,64}$/, { message: 'subscription_id must be a subscription id (sub_…)' })
  subscription_id?: string;
}
