import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiPage } from '@hub/runtime';
import { ApiKeyGuard, CurrentTenant, type AuthenticatedTenant } from '@hub/tenancy';
import { ListUnmappedQuery } from './list-unmapped.query.js';
import { UnmappedDeliveryView, UnmappedService } from './unmapped.service.js';

@Controller('v1/sources')
@UseGuards(ApiKeyGuard)
export class UnmappedController {
  constructor(private readonly unmapped: UnmappedService) {}

  /** Verified deliveries the source's adapter could not map, oldest first. */
  @Get(':id/unmapped')
  @ApiPage(UnmappedDeliveryView, 'oldest first')
  list(
    @CurrentTenant() tenant: AuthenticatedTenant,
    @Param('id') id: string,
    @Query() query: ListUnmappedQuery,
  ) {
    return this.unmapped.list(tenant.id, id, query);
  }
}
