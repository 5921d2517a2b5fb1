import {
  createParamDecorator,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { logTenant } from '@hub/telemetry';
import type { ApiKeyScope } from './api-key.entity.js';
import { TenancyService } from './tenancy.service.js';

export interface AuthenticatedTenant {
  id: string;
  name: string;
  /** The key the request came with, and what it may do. */
  keyId: string;
  scope: ApiKeyScope;
}

type TenantRequest = FastifyRequest & { tenant?: AuthenticatedTenant };

/**
 * What a `read` key may send. Decided by method rather than marked route by route: every POST,
 * PATCH and DELETE of the apps changes something (none is a search or a preview), and a write
 * route added later is closed to read keys without anyone having to remember a decorator.
 */
const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * Every management API: `Authorization: Bearer <api key>` → the request's tenant, or 401; a
 * `read` key sending anything but GET or HEAD → 403.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly tenancy: TenancyService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<TenantRequest>();
    const apiKey = bearerToken(request.headers.authorization);
    if (!apiKey) throw new UnauthorizedException('send the API key as "Authorization: Bearer <api key>"');
    const key = await this.tenancy.authenticate(apiKey);
    if (!key) throw new UnauthorizedException('the API key is unknown or revoked');
    request.tenant = { ...key.tenant, keyId: key.keyId, scope: key.scope };
    logTenant(key.tenant.id);
    if (key.scope === 'read' && !READ_METHODS.has(request.method))
      throw new ForbiddenException(
        `this API key has the read scope: it may only read (GET); ${request.method} needs a key with the write scope`,
      );
    return true;
  }
}

function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer ([^\s]+)$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

/** The tenant the guard authenticated; use only on routes behind ApiKeyGuard. */
export const CurrentTenant = createParamDecorator(
  (_: unknown, context: ExecutionContext): AuthenticatedTenant => {
    const tenant = context.switchToHttp().getRequest<TenantRequest>().tenant;
    if (!tenant) throw new UnauthorizedException('no authenticated tenant');
    return tenant;
  },
);
