import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { OperationalModule } from '../operational/operational.module.js';
import { OutboundModule } from '../outbound/outbound.module.js';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module.js';
import { AttemptOutcomes } from './attempt-outcomes.js';
import { DeliveryController } from './delivery.controller.js';
import { DeliveryRepository } from './delivery.repository.js';
import { DeliveryService } from './delivery.service.js';
import { DeliveryWorker } from './delivery.worker.js';
import { DispatchGauges } from './dispatch.gauges.js';
import { SendWakeups } from './send-wakeups.js';

@Module({
  imports: [TenancyModule, OutboundModule, OperationalModule, SubscriptionsModule],
  controllers: [DeliveryController],
  providers: [
    DeliveryRepository,
    SendWakeups,
    AttemptOutcomes,
    DeliveryWorker,
    DeliveryService,
    DispatchGauges,
  ],
  exports: [DeliveryRepository, DeliveryWorker],
})
export class DeliveriesModule {}
