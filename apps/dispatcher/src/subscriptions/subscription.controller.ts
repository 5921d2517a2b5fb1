import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiKeyGuard, CurrentTenant, type AuthenticatedTenant } from '@hub/tenancy';
import { CreateSubscriptionDto } from './dto/create-subscription.dto.js';
import { ListSubscriptionsQuery } from './dto/list-subscriptions.query.js';
import type { SubscriptionView } from './dto/subscription.view.js';
import { UpdateSubscriptionDto } from './dto/update-subscription.dto.js';
import { SubscriptionService } from './subscription.service.js';

@Controller('v1/subscriptions')
@UseGuards(ApiKeyGuard)
export class SubscriptionController {
  constructor(private readonly subscriptions: SubscriptionService) {}

  @Post()
  create(
    @CurrentTenant() tenant: AuthenticatedTenant,
    @Body() dto: CreateSubscriptionDto,
  ): Promise<SubscriptionView> {
    return this.subscriptions.create(tenant.id, dto);
  }

  @Get()
  list(@CurrentTenant() tenant: AuthenticatedTenant, @Query() query: ListSubscriptionsQuery) {
    return this.subscriptions.list(tenant.id, query.limit, query.cursor);
  }

  @Get(':id')
  get(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<SubscriptionView> {
    return this.subscriptions.get(tenant.id, id);
  }

  @Patch(':id')
  update(
    @CurrentTenant() tenant: AuthenticatedTenant,
    @Param('id') id: string,
    @Body() dto: UpdateSubscriptionDto,
  ): Promise<SubscriptionView> {
    return this.subscriptions.update(tenant.id, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<void> {
    return this.subscriptions.remove(tenant.id, id);
  }

  @Post(':id/validate')
  @HttpCode(200)
  validate(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<SubscriptionView> {
    return this.subscriptions.revalidate(tenant.id, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  rotateSecret(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string) {
    return this.subscriptions.rotateSecret(tenant.id, id);
  }
}
