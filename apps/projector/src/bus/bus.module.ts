import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { BusOverviewService } from './bus-overview.service.js';
import { BusController } from './bus.controller.js';

/** GET /v1/bus: what the console shows of the bus. */
@Module({ imports: [TenancyModule], controllers: [BusController], providers: [BusOverviewService] })
export class BusModule {}
