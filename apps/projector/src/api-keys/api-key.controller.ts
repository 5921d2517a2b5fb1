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
import {
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { ApiKeyGuard, ApiKeyService, CurrentTenant, type AuthenticatedTenant } from '@hub/tenancy';
import { ApiKeyPage, CreatedApiKeyView, ProblemView } from './dto/api-key.view.js';
import { CreateApiKeyDto } from './dto/create-api-key.dto.js';
import { ListApiKeysQuery } from './dto/list-api-keys.query.js';

const PROBLEMS: Record<number, string> = {
  400: 'the body or query is not valid (the detail names what)',
  401: 'no API key, or an unknown or revoked one',
  403: 'the API key has the read scope',
  404: 'no such API key for this tenant',
  409: "the tenant's last active write key: create another write key first",
};

/** The listed error answers, as application/problem+json. */
function Problems(...statuses: Array<keyof typeof PROBLEMS>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: PROBLEMS[status]!,
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemView) } } },
      }),
    ),
  );
}

/**
 * A tenant's API keys. Served by the projector only (one app owns them; every app checks them):
 * making and revoking need a write key, listing any key.
 */
@ApiTags('api-keys')
@ApiExtraModels(ProblemView)
@Controller('v1/api-keys')
@UseGuards(ApiKeyGuard)
export class ApiKeyController {
  constructor(private readonly keys: ApiKeyService) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key; the answer is the only time the key is shown' })
  @ApiCreatedResponse({ type: CreatedApiKeyView })
  @Problems(400, 401, 403)
  create(
    @CurrentTenant() tenant: AuthenticatedTenant,
    @Body() dto: CreateApiKeyDto,
  ): Promise<CreatedApiKeyView> {
    return this.keys.create(tenant.id, dto.name, dto.scope ?? 'read');
  }

  @Get()
  @ApiOperation({ summary: "List the tenant's API keys, oldest first, revoked ones included" })
  @ApiOkResponse({ type: ApiKeyPage })
  @Problems(400, 401)
  list(@CurrentTenant() tenant: AuthenticatedTenant, @Query() query: ListApiKeysQuery): Promise<ApiKeyPage> {
    return this.keys.list(tenant.id, query.limit, query.cursor);
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
  @Problems(401, 403, 404, 409)
  async revoke(@CurrentTenant() tenant: AuthenticatedTenant, @Param('id') id: string): Promise<void> {
    await this.keys.revoke(tenant.id, id);
  }
}
