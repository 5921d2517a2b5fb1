import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { DeliveriesModule } from './deliveries/deliveries.module.js';
import { HooksModule } from './hooks/hooks.module.js';
import { MatchingModule } from './matching/matching.module.js';
import { DispatcherRetention } from './retention/dispatcher-retention.js';
import { SubscriptionsModule } from './subscriptions/subscriptions.module.js';

@Module({
  imports: [TenancyModule, SubscriptionsModule, DeliveriesModule, MatchingModule, HooksModule],
  providers: [DispatcherRetention],
})
export class DispatcherModule {}
