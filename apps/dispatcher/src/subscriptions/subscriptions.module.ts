import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { OperationalModule } from '../operational/operational.module.js';
import { OutboundModule } from '../outbound/outbound.module.js';
import { EndpointValidator } from './endpoint-validator.js';
import { SubscriptionSecrets } from './subscription-secrets.js';
import { SubscriptionController } from './subscription.controller.js';
import { SubscriptionRepository } from './subscription.repository.js';
import { SubscriptionService } from './subscription.service.js';

@Module({
  imports: [TenancyModule, OutboundModule, OperationalModule],
  controllers: [SubscriptionController],
  providers: [SubscriptionRepository, SubscriptionSecrets, EndpointValidator, SubscriptionService],
  exports: [SubscriptionRepository, SubscriptionSecrets, SubscriptionService],
})
export class SubscriptionsModule {}
