import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiProperty } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentTenant, type AuthenticatedTenant } from './api-key.guard.js';

class TenantView {
  @ApiProperty({ format: 'uuid' })
  tenant_id: string;

  @ApiProperty()
  name: string;
}

/** Lets a key holder check which tenant a key belongs to (and that it works). */
@Controller('v1/tenant')
@UseGuards(ApiKeyGuard)
export class TenantController {
  @Get()
  @ApiOkResponse({ type: TenantView, description: "the key's tenant" })
  whoAmI(@CurrentTenant() tenant: AuthenticatedTenant): TenantView {
    return { tenant_id: tenant.id, name: tenant.name };
  }
}
