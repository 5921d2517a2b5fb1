import { Module } from '@nestjs/common';
import { DeliveriesModule } from '../deliveries/deliveries.module.js';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module.js';
import { MatchingConsumer } from './matching.consumer.js';
import { MatchingService } from './matching.service.js';

@Module({
  imports: [SubscriptionsModule, DeliveriesModule],
  controllers: [MatchingConsumer],
  providers: [MatchingService],
})
export class MatchingModule {}
