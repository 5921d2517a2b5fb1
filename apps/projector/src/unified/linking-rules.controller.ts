import { Body, Controller, Get, Put, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblem } from '@hub/runtime';
import { ApiKeyGuard, CurrentTenant, type AuthenticatedTenant } from '@hub/tenancy';
import { LinkingRulesChangeView, LinkingRulesDocument, LinkingRulesView } from './dto/linking-rules.view.js';
import { LinkingRulesService } from './linking-rules.service.js';
import { UNIFIED_OFF } from './unified-reevaluation.js';

@Controller('v1/unified/rules')
@UseGuards(ApiKeyGuard)
@ApiTags('unified')
export class LinkingRulesController {
  constructor(private readonly rules: LinkingRulesService) {}

  @Get()
  @ApiOperation({ summary: "The tenant's linking rules, the defaults where it set none" })
  @ApiOkResponse({ type: LinkingRulesView })
  get(@CurrentTenant() tenant: AuthenticatedTenant): Promise<LinkingRulesView> {
    return this.rules.get(tenant.id);
  }

  @Put()
  @ApiOperation({
    summary: "Replace the tenant's linking rules",
    description:
      'The whole rules document, as GET answers it under `rules`; a bad field is a 400 naming it. ' +
      'Every record of the tenant is then re-evaluated in the same transaction: records join or ' +
      'leave unified records (never against a manual decision), and the changes are published.',
  })
  @ApiBody({ type: LinkingRulesDocument })
  @ApiOkResponse({ type: LinkingRulesChangeView })
  @ApiProblem(400, 'a bad field, named')
  @ApiProblem(409, UNIFIED_OFF)
  // Checked by the engine's validator, not the DTO pipe: its errors name the nested field.
  replace(
    @CurrentTenant() tenant: AuthenticatedTenant,
    @Body() body: unknown,
  ): Promise<LinkingRulesChangeView> {
    return this.rules.replace(tenant.id, body);
  }
}
