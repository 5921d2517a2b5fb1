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
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse } from '@nestjs/swagger';
import { ApiPage, ApiProblem } from '@hub/runtime';
import { ApiKeyGuard, CurrentTenant, type AuthenticatedTenant } from '@hub/tenancy';
import { CreateSubscriptionDto } from './dto/create-subscription.dto.js';
import { ListSubscriptionsQuery } from './dto/list-subscriptions.query.js';
import { RotatedSecretView, SubscriptionView } from './dto/subscription.view.js';
import { UpdateSubscriptionDto } from './dto/update-subscription.dto.js';
import { SubscriptionService } from './subscription.service.js';

@Controller('v1/subscriptions')
@UseGuards(ApiKeyGuard)
export class SubscriptionController {
  constructor(private readonly subscriptions: SubscriptionService) {}

  @Post()
  @ApiCreatedResponse({ type: SubscriptionView, description: 'with `secret` when it was generated' })
  @ApiProblem(403, "the tenant's quota of subscriptions is reached")
  create(
    @CurrentTenant() tenant: AuthenticatedTenant,
    @Body() dto: CreateSubscriptionDto,
  ): Promise<SubscriptionView> {
    return this.subscriptions.create(tenant.id, dto);
  }

  @Get()
  @ApiPage(SubscriptionView, 'subscriptions by id')
  list(@CurrentTenant() tenant: AuthenticatedTenant, @Query() query: ListSubscriptionsQuery) {
    return this.subscriptions.list(tenant.id, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: SubscriptionView })
  get(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<SubscriptionView> {
    return this.subscriptions.get(tenant.id, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: SubscriptionView })
  update(
    @CurrentTenant() tenant: AuthenticatedTenant,
    @Param('id') id: string,
    @Body() dto: UpdateSubscriptionDto,
  ): Promise<SubscriptionView> {
    return this.subscriptions.update(tenant.id, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'deleted' })
  remove(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<void> {
    return this.subscriptions.remove(tenant.id, id);
  }

  @Post(':id/validate')
  @HttpCode(200)
  @ApiOkResponse({ type: SubscriptionView, description: 'after the handshake, passed or not' })
  @ApiProblem(409, 'the subscription is disabled')
  validate(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<SubscriptionView> {
    return this.subscriptions.revalidate(tenant.id, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOkResponse({ type: RotatedSecretView })
  rotateSecret(
    @CurrentTenant() tenant: AuthenticatedTenant,
    @Param('id') id: string,
  ): Promise<RotatedSecretView> {
    return this.subscriptions.rotateSecret(tenant.id, id);
  }
}
