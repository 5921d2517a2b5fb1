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
import { ApiKeyGuard, CurrentTenant, type AuthenticatedTenant } from '@hub/tenancy';
import { CreateSourceDto } from './dto/create-source.dto.js';
import { ListSourcesQuery } from './dto/list-sources.query.js';
import type { SourceStatsView, SourceView } from './dto/source.view.js';
import { UpdateSourceDto } from './dto/update-source.dto.js';
import { SourceService } from './source.service.js';

@Controller('v1/sources')
@UseGuards(ApiKeyGuard)
export class SourceController {
  constructor(private readonly sources: SourceService) {}

  @Post()
  create(@CurrentTenant() tenant: AuthenticatedTenant, @Body() dto: CreateSourceDto): Promise<SourceView> {
    return this.sources.create(tenant.id, dto);
  }

  @Get()
  list(@CurrentTenant() tenant: AuthenticatedTenant, @Query() query: ListSourcesQuery) {
    return this.sources.list(tenant.id, query.limit, query.cursor);
  }

  @Get(':id')
  get(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<SourceView> {
    return this.sources.get(tenant.id, id);
  }

  @Patch(':id')
  update(
    @CurrentTenant() tenant: AuthenticatedTenant,
    @Param('id') id: string,
    @Body() dto: UpdateSourceDto,
  ): Promise<SourceView> {
    return this.sources.update(tenant.id, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<void> {
    return this.sources.remove(tenant.id, id);
  }

  @Get(':id/stats')
  stats(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<SourceStatsView> {
    return this.sources.stats(tenant.id, id);
  }
}
