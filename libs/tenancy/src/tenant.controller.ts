import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, CurrentTenant, type AuthenticatedTenant } from './api-key.guard.js';

/** Lets a key holder check which tenant a key belongs to (and that it works). */
@Controller('v1/tenant')
@UseGuards(ApiKeyGuard)
export class TenantController {
  @Get()
  whoAmI(@CurrentTenant() tenant: AuthenticatedTenant): { tenant_id: string; name: string } {
    return { tenant_id: tenant.id, name: tenant.name };
  }
}
