import {
  applyDecorators,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiPage, ApiProblem } from '@hub/runtime';
import { ApiKeyGuard, CurrentTenant, type AuthenticatedTenant } from '@hub/tenancy';
import { LinkRecordDto } from './dto/link-record.dto.js';
import { RecordIdPipe } from './dto/record-id.pipe.js';
import { CustomerListQuery, ProjectListQuery } from '../read-models/read-model.query.js';
import { UnifiedLinksService } from './unified-links.service.js';
import { UnifiedRecordsService } from './unified-records.service.js';
import { ProvenanceView, UnifiedLinkResultView, UnifiedRecordView } from './unified-records.view.js';

/**
 * Both kinds have the same four routes: the list (with the kind's filters), one unified record by
 * its id or a member's, and the manual link and unlink of a record.
 */
function UnifiedRoutes(path: string) {
  return applyDecorators(
    Controller(`v1/unified/${path}`),
    UseGuards(ApiKeyGuard),
    ApiTags('unified'),
    ApiExtraModels(ProvenanceView),
  );
}

const ListResponse = () => ApiPage(UnifiedRecordView, 'by id, as every list');
const IdParam = () =>
  ApiParam({
    name: 'id',
    description: 'a unified id (unified:cus_…, unified:prj_…) or the id of one of its member records',
  });
const GetResponse = () => applyDecorators(IdParam(), ApiOkResponse({ type: UnifiedRecordView }));
const LinkResponses = (kind: string) =>
  applyDecorators(
    IdParam(),
    HttpCode(200),
    ApiOkResponse({ type: UnifiedLinkResultView }),
    ApiProblem(404, `no such unified ${kind}, or no ${kind} record with that id`),
    ApiProblem(400, 'the record is no record id (<provider>:<id>)'),
    ApiProblem(
      409,
      `the record is not a ${kind}, or (unlink) not in that unified ${kind}; or unified records are off ` +
        '(UNIFIED_RECORDS=off)',
    ),
  );
const RECORD_PARAM = { name: 'record', description: 'the member record to take out: <provider>:<id>' };

@UnifiedRoutes('customers')
export class UnifiedCustomerController {
  constructor(
    private readonly records: UnifiedRecordsService,
    private readonly links: UnifiedLinksService,
  ) {}

  @Get()
  @ApiOperation({ summary: "The tenant's unified customers: each provider's records of one person, merged" })
  @ListResponse()
  list(@CurrentTenant() tenant: AuthenticatedTenant, @Query() query: CustomerListQuery) {
    return this.records.list(tenant.id, 'customer', query, { status: query.status, email: query.email });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One unified customer, by its id or a member record’s (opensolar:8812)' })
  @GetResponse()
  get(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string) {
    return this.records.get(tenant.id, 'customer', id);
  }

  @Post(':id/links')
  @ApiOperation({
    summary: 'Join a customer record to this unified customer by hand',
    description:
      'Recorded as a manual decision, which the linking rules never undo; the records are then ' +
      're-evaluated and the changes published (customer.linked, unified_customer.updated …).',
  })
  @LinkResponses('customer')
  link(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string, @Body() body: LinkRecordDto) {
    return this.links.link(tenant.id, 'customer', id, body.record);
  }

  @Delete(':id/links/:record')
  @ApiOperation({
    summary: 'Take a customer record out of this unified customer by hand',
    description:
      'The record then stands apart: the linking rules never attach it again (until it is linked by hand).',
  })
  @ApiParam(RECORD_PARAM)
  @LinkResponses('customer')
  unlink(
    @CurrentTenant() tenant: AuthenticatedTenant,
    @Param('id') id: string,
    @Param('record', RecordIdPipe) record: string,
  ) {
    return this.links.unlink(tenant.id, 'customer', id, record);
  }
}

@UnifiedRoutes('projects')
export class UnifiedProjectController {
  constructor(
    private readonly records: UnifiedRecordsService,
    private readonly links: UnifiedLinksService,
  ) {}

  @Get()
  @ApiOperation({ summary: "The tenant's unified projects: each provider's records of one project, merged" })
  @ListResponse()
  list(@CurrentTenant() tenant: AuthenticatedTenant, @Query() query: ProjectListQuery) {
    return this.records.list(tenant.id, 'project', query, { stage: query.stage });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One unified project, by its id or a member record’s (opensolar:9001)' })
  @GetResponse()
  get(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string) {
    return this.records.get(tenant.id, 'project', id);
  }

  @Post(':id/links')
  @ApiOperation({
    summary: 'Join a project record to this unified project by hand',
    description:
      'Recorded as a manual decision, which the linking rules never undo; the records are then ' +
      're-evaluated and the changes published (project.linked, unified_project.updated …).',
  })
  @LinkResponses('project')
  link(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string, @Body() body: LinkRecordDto) {
    return this.links.link(tenant.id, 'project', id, body.record);
  }

  @Delete(':id/links/:record')
  @ApiOperation({
    summary: 'Take a project record out of this unified project by hand',
    description:
      'The record then stands apart: the linking rules never attach it again (until it is linked by hand).',
  })
  @ApiParam(RECORD_PARAM)
  @LinkResponses('project')
  unlink(
    @CurrentTenant() tenant: AuthenticatedTenant,
    @Param('id') id: string,
    @Param('record', RecordIdPipe) record: string,
  ) {
    return this.links.unlink(tenant.id, 'project', id, record);
  }
}
