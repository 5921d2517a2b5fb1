import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblem } from '@hub/runtime';
import { ApiKeyGuard } from '@hub/tenancy';
import { BusOverviewService } from './bus-overview.service.js';
import { BusOverviewView } from './bus-overview.view.js';

@ApiTags('bus')
@Controller('v1/bus')
@UseGuards(ApiKeyGuard)
export class BusController {
  constructor(private readonly overview: BusOverviewService) {}

  @Get()
  @ApiOperation({
    summary: "The bus's topics with their end offsets, and the apps' consumer groups with their lag",
    description:
      'System-wide, the same for every tenant: only topic names, group ids and numbers, no tenant data. ' +
      'Lag is the end offset minus the committed offset of each partition.',
  })
  @ApiOkResponse({ type: BusOverviewView })
  @ApiProblem(503, 'the bus did not answer in time')
  get(): Promise<BusOverviewView> {
    return this.overview.overview();
  }
}
