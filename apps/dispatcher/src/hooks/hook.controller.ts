import { Body, Controller, Delete, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse } from '@nestjs/swagger';
import { ApiProblem } from '@hub/runtime';
import { ApiKeyGuard, CurrentTenant, type AuthenticatedTenant } from '@hub/tenancy';
import { SubscriptionService } from '../subscriptions/subscription.service.js';
import { CreateHookDto, HookView } from './create-hook.dto.js';

/** REST-hook compatibility: a hook is a subscription to one event type with every default. */
@Controller('v1/hooks')
@UseGuards(ApiKeyGuard)
export class HookController {
  constructor(private readonly subscriptions: SubscriptionService) {}

  @Post()
  @ApiCreatedResponse({ type: HookView })
  @ApiProblem(403, "the tenant's quota of subscriptions is reached")
  async create(@CurrentTenant() tenant: AuthenticatedTenant, @Body() dto: CreateHookDto): Promise<HookView> {
    const subscription = await this.subscriptions.create(tenant.id, {
      endpoint: dto.hookUrl,
      event_types: [dto.event],
      description: `REST hook for ${dto.event}`,
    });
    return {
      id: subscription.id,
      hookUrl: subscription.endpoint,
      event: dto.event,
      status: subscription.status,
    };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'unsubscribed' })
  remove(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<void> {
    return this.subscriptions.remove(tenant.id, id);
  }
}
