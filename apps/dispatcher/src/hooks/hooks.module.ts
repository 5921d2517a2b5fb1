import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module.js';
import { HookController } from './hook.controller.js';

@Module({ imports: [TenancyModule, SubscriptionsModule], controllers: [HookController] })
export class HooksModule {}
