import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import {
  ApiPage,
  ApiProblem,
  decodeCursor,
  encodeCursor,
  pageLimitOf,
  PageQuery,
  type Page,
} from '@hub/runtime';
import { ApiKeyGuard, ApiKeyService, CurrentTenant, type AuthenticatedTenant } from '@hub/tenancy';
import { ApiKeyView, CreatedApiKeyView } from './dto/api-key.view.js';
import { CreateApiKeyDto } from './dto/create-api-key.dto.js';

const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A tenant's API keys. Served by the projector only (one app owns them; every app checks them):
 * making and revoking need a write key, listing any key.
 */
@ApiTags('api-keys')
@Controller('v1/api-keys')
@UseGuards(ApiKeyGuard)
export class ApiKeyController {
  constructor(private readonly keys: ApiKeyService) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key; the answer is the only time the key is shown' })
  @ApiCreatedResponse({ type: CreatedApiKeyView })
  create(
    @CurrentTenant() tenant: AuthenticatedTenant,
    @Body() dto: CreateApiKeyDto,
  ): Promise<CreatedApiKeyView> {
    return this.keys.create(tenant.id, dto.name, dto.scope ?? 'read');
  }

  @Get()
  @ApiOperation({ summary: "List the tenant's API keys, oldest first, revoked ones included" })
  @ApiPage(ApiKeyView)
  async list(
    @CurrentTenant() tenant: AuthenticatedTenant,
    @Query() query: PageQuery,
  ): Promise<Page<ApiKeyView>> {
    const afterId = query.cursor ? decodeCursor(query.cursor, [KEY_ID])[0] : undefined;
    const page = await this.keys.list(tenant.id, pageLimitOf(query), afterId);
    return { data: page.data, next_cursor: page.after === null ? null : encodeCursor([page.after]) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke an API key: every app refuses it from the next request on',
    description:
      "Any of the tenant's keys, the one sending the request included, except its last active write key (409). Revoking a revoked key changes nothing.",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'revoked' })
  @ApiProblem(409, "the tenant's last active write key: create another write key first")
  async revoke(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<void> {
    await this.keys.revoke(tenant.id, id);
  }
}
