import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, CurrentTenant, type AuthenticatedTenant } from '@hub/tenancy';
import { DeliveryService } from './delivery.service.js';
import type { DeliveryView } from './dto/delivery.view.js';
import { ListDeliveriesQuery } from './dto/list-deliveries.query.js';
import { ReplayDto } from './dto/replay.dto.js';

@Controller('v1')
@UseGuards(ApiKeyGuard)
export class DeliveryController {
  constructor(private readonly deliveries: DeliveryService) {}

  @Get('subscriptions/:id/deliveries')
  log(
    @CurrentTenant() tenant: AuthenticatedTenant,
    @Param('id') id: string,
    @Query() query: ListDeliveriesQuery,
  ) {
    return this.deliveries.log(tenant.id, id, query);
  }

  @Post('deliveries/:id/retry')
  @HttpCode(202)
  retry(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<DeliveryView> {
    return this.deliveries.retry(tenant.id, id);
  }

  @Post('subscriptions/:id/replay')
  @HttpCode(202)
  replay(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string, @Body() dto: ReplayDto) {
    return this.deliveries.replay(tenant.id, id, dto);
  }

  @Post('subscriptions/:id/test')
  @HttpCode(202)
  test(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<DeliveryView> {
    return this.deliveries.test(tenant.id, id);
  }
}
