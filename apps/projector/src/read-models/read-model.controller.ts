import { applyDecorators, Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiPage, PageQuery } from '@hub/runtime';
import { ApiKeyGuard, CurrentTenant, type AuthenticatedTenant } from '@hub/tenancy';
import { CustomerListQuery, MonitorListQuery, ProjectListQuery } from './read-model.query.js';
import { ReadModelService } from './read-model.service.js';
import { ActivityEntryView, EntityView, HistoryEntryView } from './read-model.view.js';

/**
 * Every entity type has the same five routes: the list (with the type's filters), one entity, its
 * history and its activity, each list paged the same way.
 */
function EntityRoutes(name: string) {
  return applyDecorators(Controller(`v1/${name}`), UseGuards(ApiKeyGuard), ApiTags(name));
}

const ListResponse = () => ApiPage(EntityView, 'by id, which never changes');
const GetResponse = () => ApiOkResponse({ type: EntityView });
const HistoryResponse = () => ApiPage(HistoryEntryView, 'every version, oldest first');
const ActivityResponse = () => ApiPage(ActivityEntryView, 'the timeline, oldest first');

@EntityRoutes('projects')
export class ProjectController {
  constructor(private readonly readModels: ReadModelService) {}

  @Get()
  @ListResponse()
  list(@CurrentTenant() tenant: AuthenticatedTenant, @Query() query: ProjectListQuery) {
    return this.readModels.list(tenant.id, 'project', query, { stage: query.stage });
  }

  @Get(':id')
  @GetResponse()
  get(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string) {
    return this.readModels.get(tenant.id, 'project', id);
  }

  @Get(':id/history')
  @HistoryResponse()
  history(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string, @Query() query: PageQuery) {
    return this.readModels.history(tenant.id, 'project', id, query);
  }

  @Get(':id/activity')
  @ActivityResponse()
  activity(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string, @Query() query: PageQuery) {
    return this.readModels.activity(tenant.id, 'project', id, query);
  }
}

@EntityRoutes('customers')
export class CustomerController {
  constructor(private readonly readModels: ReadModelService) {}

  @Get()
  @ListResponse()
  list(@CurrentTenant() tenant: AuthenticatedTenant, @Query() query: CustomerListQuery) {
    return this.readModels.list(tenant.id, 'customer', query, {
      status: query.status,
      email: query.email?.toLowerCase(),
    });
  }

  @Get(':id')
  @GetResponse()
  get(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string) {
    return this.readModels.get(tenant.id, 'customer', id);
  }

  @Get(':id/history')
  @HistoryResponse()
  history(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string, @Query() query: PageQuery) {
    return this.readModels.history(tenant.id, 'customer', id, query);
  }

  @Get(':id/activity')
  @ActivityResponse()
  activity(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string, @Query() query: PageQuery) {
    return this.readModels.activity(tenant.id, 'customer', id, query);
  }
}

@EntityRoutes('monitors')
export class MonitorController {
  constructor(private readonly readModels: ReadModelService) {}

  @Get()
  @ListResponse()
  list(@CurrentTenant() tenant: AuthenticatedTenant, @Query() query: MonitorListQuery) {
    return this.readModels.list(tenant.id, 'monitor', query, { kind: query.kind, status: query.status });
  }

  @Get(':id')
  @GetResponse()
  get(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string) {
    return this.readModels.get(tenant.id, 'monitor', id);
  }

  @Get(':id/history')
  @HistoryResponse()
  history(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string, @Query() query: PageQuery) {
    return this.readModels.history(tenant.id, 'monitor', id, query);
  }

  @Get(':id/activity')
  @ActivityResponse()
  activity(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string, @Query() query: PageQuery) {
    return this.readModels.activity(tenant.id, 'monitor', id, query);
  }
}
