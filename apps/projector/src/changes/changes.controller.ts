import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPage } from '@hub/runtime';
import { ApiKeyGuard, CurrentTenant, type AuthenticatedTenant } from '@hub/tenancy';
import { ChangesQuery } from './changes.query.js';
import { ChangesService } from './changes.service.js';
import { StateChangeView } from './changes.view.js';

@Controller('v1/changes')
@UseGuards(ApiKeyGuard)
@ApiTags('changes')
export class ChangesController {
  constructor(private readonly changes: ChangesService) {}

  @Get()
  @ApiOperation({
    summary: "The tenant's recent state changes across all its entities",
    description:
      'Each item is the state-change message the projector published (StateChangeEvent): the ' +
      'envelope, the changed field paths and the whole document after the change, so it can be ' +
      "posted as is to the dispatcher. `time` is when the projector applied the change (the cause's " +
      'own time is not kept). Activity and monitoring events passed through to subscribers are not ' +
      'listed; a version that retention folded away is not either.',
  })
  @ApiPage(StateChangeView, 'newest first (by when applied, then entity and version)')
  recent(@CurrentTenant() tenant: AuthenticatedTenant, @Query() query: ChangesQuery) {
    return this.changes.recent(tenant.id, query);
  }
}
