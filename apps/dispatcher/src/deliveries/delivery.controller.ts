import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse } from '@nestjs/swagger';
import { ApiPage, ApiProblem } from '@hub/runtime';
import { ApiKeyGuard, CurrentTenant, type AuthenticatedTenant } from '@hub/tenancy';
import { DeliveryService } from './delivery.service.js';
import { DeliveryView, ReplayView } from './dto/delivery.view.js';
import { ListDeliveriesQuery } from './dto/list-deliveries.query.js';
import { ReplayDto } from './dto/replay.dto.js';

@Controller('v1')
@UseGuards(ApiKeyGuard)
export class DeliveryController {
  constructor(private readonly deliveries: DeliveryService) {}

  @Get('subscriptions/:id/deliveries')
  @ApiPage(DeliveryView, 'newest first, each with its attempts')
  log(
    @CurrentTenant() tenant: AuthenticatedTenant,
    @Param('id') id: string,
    @Query() query: ListDeliveriesQuery,
  ) {
    return this.deliveries.log(tenant.id, id, query);
  }

  @Get('deliveries/:id')
  @ApiOkResponse({ type: DeliveryView, description: 'the delivery and every attempt at it' })
  get(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<DeliveryView> {
    return this.deliveries.get(tenant.id, id);
  }

  @Post('deliveries/:id/retry')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: DeliveryView, description: 'queued to be sent again now' })
  @ApiProblem(409, 'the delivery is being sent right now')
  retry(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<DeliveryView> {
    return this.deliveries.retry(tenant.id, id);
  }

  @Post('subscriptions/:id/replay')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: ReplayView, description: "the window's deliveries, queued again" })
  replay(
    @CurrentTenant() tenant: AuthenticatedTenant,
    @Param('id') id: string,
    @Body() dto: ReplayDto,
  ): Promise<ReplayView> {
    return this.deliveries.replay(tenant.id, id, dto);
  }

  @Post('subscriptions/:id/test')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: DeliveryView, description: 'a webhook.test message, queued' })
  test(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<DeliveryView> {
    return this.deliveries.test(tenant.id, id);
  }
}
