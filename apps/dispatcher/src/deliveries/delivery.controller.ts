import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse } from '@nestjs/swagger';
import { ApiPage, ApiProblem } from '@hub/runtime';
import { ApiKeyGuard, CurrentTenant, type AuthenticatedTenant } from '@hub/tenancy';
import { DeliveryService } from './delivery.service.js';
import { DeliveryView, ReplayView } from './dto/delivery.view.js';
import { ListAllDeliveriesQuery } from './dto/list-all-deliveries.query.js';
import { ListDeliveriesQuery } from './dto/list-deliveries.query.js';
import { ReplayDto } from './dto/replay.dto.js';
import { SubscriptionStatsQuery } from './dto/subscription-stats.query.js';
import { SubscriptionStatsView } from './dto/subscription-stats.view.js';

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

  @Get('deliveries')
  @ApiPage(DeliveryView, "newest first over the tenant's subscriptions, each with its attempts")
  logOfTenant(@CurrentTenant() tenant: AuthenticatedTenant, @Query() query: ListAllDeliveriesQuery) {
    return this.deliveries.logOfTenant(tenant.id, query);
  }

  @Get('subscriptions/:id/stats')
  @ApiOkResponse({ type: SubscriptionStatsView, description: "the window's delivery counts and latency" })
  stats(
    @CurrentTenant() tenant: AuthenticatedTenant,
    @Param('id') id: string,
    @Query() query: SubscriptionStatsQuery,
  ): Promise<SubscriptionStatsView> {
    return this.deliveries.stats(tenant.id, id, query.window ?? '24h');
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
  @ApiAcceptedResponse({
    type: ReplayView,
    description: "the window's deliveries, queued again; with dry_run, only counted",
  })
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
