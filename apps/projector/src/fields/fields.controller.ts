import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPage } from '@hub/runtime';
import { ApiKeyGuard, CurrentTenant, type AuthenticatedTenant } from '@hub/tenancy';
import { FieldsQuery } from './fields.query.js';
import { FIELDS_SAMPLE } from './fields.repository.js';
import { FieldsService } from './fields.service.js';
import { FieldView } from './fields.view.js';

@Controller('v1/fields')
@UseGuards(ApiKeyGuard)
@ApiTags('fields')
export class FieldsController {
  constructor(private readonly fields: FieldsService) {}

  @Get()
  @ApiOperation({
    summary: "The field paths seen in the tenant's current documents",
    description:
      `Computed from the ${FIELDS_SAMPLE} most recently updated documents of each entity type, so a ` +
      'field only older documents carry may be missing. Paths are in the subscription grammar ' +
      '(`project.stage`, `project.systems.modules`: array elements are descended into without an ' +
      'index); keys a path segment cannot spell, and anything below 12 segments, are left out.',
  })
  @ApiPage(FieldView, 'by path')
  seen(@CurrentTenant() tenant: AuthenticatedTenant, @Query() query: FieldsQuery) {
    return this.fields.seen(tenant.id, query);
  }
}
