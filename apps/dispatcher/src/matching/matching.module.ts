import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { DeliveriesModule } from '../deliveries/deliveries.module.js';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module.js';
import { MatchingConsumer } from './matching.consumer.js';
import { MatchingService } from './matching.service.js';
import { PreviewController } from './preview.controller.js';
import { PreviewService } from './preview.service.js';

@Module({
  imports: [TenancyModule, SubscriptionsModule, DeliveriesModule],
  controllers: [MatchingConsumer, PreviewController],
  providers: [MatchingService, PreviewService],
})
export class MatchingModule {}
