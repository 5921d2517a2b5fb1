import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiExtraModels, ApiNoContentResponse, ApiOkResponse } from '@nestjs/swagger';
import { ApiPage, ApiProblem } from '@hub/runtime';
import { ApiKeyGuard, CurrentTenant, type AuthenticatedTenant } from '@hub/tenancy';
import { CreateSourceDto } from './dto/create-source.dto.js';
import { ListSourcesQuery } from './dto/list-sources.query.js';
import { SOURCE_VIEW_MODELS, SourceStatsView, SourceView } from './dto/source.view.js';
import { UpdateSourceDto } from './dto/update-source.dto.js';
import { SourceService } from './source.service.js';

@Controller('v1/sources')
@UseGuards(ApiKeyGuard)
@ApiExtraModels(...SOURCE_VIEW_MODELS)
export class SourceController {
  constructor(private readonly sources: SourceService) {}

  @Post()
  @ApiCreatedResponse({ type: SourceView, description: 'with `secret` when it was generated' })
  @ApiProblem(403, "the tenant's quota of sources is reached")
  create(@CurrentTenant() tenant: AuthenticatedTenant, @Body() dto: CreateSourceDto): Promise<SourceView> {
    return this.sources.create(tenant.id, dto);
  }

  @Get()
  @ApiPage(SourceView, 'sources by id')
  list(@CurrentTenant() tenant: AuthenticatedTenant, @Query() query: ListSourcesQuery) {
    return this.sources.list(tenant.id, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: SourceView })
  get(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<SourceView> {
    return this.sources.get(tenant.id, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: SourceView })
  update(
    @CurrentTenant() tenant: AuthenticatedTenant,
    @Param('id') id: string,
    @Body() dto: UpdateSourceDto,
  ): Promise<SourceView> {
    return this.sources.update(tenant.id, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'deleted' })
  remove(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<void> {
    return this.sources.remove(tenant.id, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOkResponse({ type: SourceView, description: 'with the new `secret`, shown only here' })
  @ApiProblem(409, 'the source was created with verification none')
  rotateSecret(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<SourceView> {
    return this.sources.rotateSecret(tenant.id, id);
  }

  @Get(':id/stats')
  @ApiOkResponse({
    type: SourceStatsView,
    description: 'totals since the source was created, and the last hour and day to the minute',
  })
  stats(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<SourceStatsView> {
    return this.sources.stats(tenant.id, id);
  }
}
