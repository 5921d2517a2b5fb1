import {
  createParamDecorator,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { logTenant } from '@hub/telemetry';
import { TenancyService } from './tenancy.service.js';

export interface AuthenticatedTenant {
  id: string;
  name: string;
}

type TenantRequest = FastifyRequest & { tenant?: AuthenticatedTenant };

/** Every management API: `Authorization: Bearer <api key>` → the request's tenant, or 401. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly tenancy: TenancyService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<TenantRequest>();
    const apiKey = bearerToken(request.headers.authorization);
    if (!apiKey) throw new UnauthorizedException('send the API key as "Authorization: Bearer <api key>"');
    const tenant = await this.tenancy.authenticate(apiKey);
    if (!tenant) throw new UnauthorizedException('the API key is unknown or revoked');
    request.tenant = { id: tenant.id, name: tenant.name };
    logTenant(tenant.id);
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
