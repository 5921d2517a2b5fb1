import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, CurrentTenant, type AuthenticatedTenant } from '@hub/tenancy';
import { CustomerListQuery, MonitorListQuery, ProjectListQuery } from './read-model.query.js';
import { ReadModelService } from './read-model.service.js';

@Controller('v1/projects')
@UseGuards(ApiKeyGuard)
export class ProjectController {
  constructor(private readonly readModels: ReadModelService) {}

  @Get()
  list(@CurrentTenant() tenant: AuthenticatedTenant, @Query() query: ProjectListQuery) {
    return this.readModels.list(tenant.id, 'project', query, { stage: query.stage });
  }

  @Get(':id')
  get(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string) {
    return this.readModels.get(tenant.id, 'project', id);
  }

  @Get(':id/history')
  history(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string) {
    return this.readModels.history(tenant.id, 'project', id);
  }

  @Get(':id/activity')
  activity(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string) {
    return this.readModels.activity(tenant.id, 'project', id);
  }
}

@Controller('v1/customers')
@UseGuards(ApiKeyGuard)
export class CustomerController {
  constructor(private readonly readModels: ReadModelService) {}

  @Get()
  list(@CurrentTenant() tenant: AuthenticatedTenant, @Query() query: CustomerListQuery) {
    return this.readModels.list(tenant.id, 'customer', query, {
      status: query.status,
      email: query.email?.toLowerCase(),
    });
  }

  @Get(':id')
  get(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string) {
    return this.readModels.get(tenant.id, 'customer', id);
  }

  @Get(':id/history')
  history(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string) {
    return this.readModels.history(tenant.id, 'customer', id);
  }

  @Get(':id/activity')
  activity(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string) {
    return this.readModels.activity(tenant.id, 'customer', id);
  }
}

@Controller('v1/monitors')
@UseGuards(ApiKeyGuard)
export class MonitorController {
  constructor(private readonly readModels: ReadModelService) {}

  @Get()
  list(@CurrentTenant() tenant: AuthenticatedTenant, @Query() query: MonitorListQuery) {
    return this.readModels.list(tenant.id, 'monitor', query, { kind: query.kind, status: query.status });
  }

  @Get(':id')
  get(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string) {
    return this.readModels.get(tenant.id, 'monitor', id);
  }

  @Get(':id/history')
  history(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string) {
    return this.readModels.history(tenant.id, 'monitor', id);
  }
}
