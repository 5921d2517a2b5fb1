import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { ApiKeyScope } from './api-key.entity.js';
import type { ActiveKeyRow, ApiKeyRepository } from './api-key.repository.js';
import { generateApiKey, hashApiKey, KEY_PREFIX } from './api-key.secret.js';
import type { TenantRepository } from './tenant.repository.js';

export interface CreatedTenant {
  tenant_id: string;
  api_key: string;
}

/** A request's key, resolved: its tenant and what it may do. */
export interface AuthenticatedKey {
  tenant: { id: string; name: string };
  keyId: string;
  scope: ApiKeyScope;
}

/** The first key of a tenant, made with it. */
const INITIAL_KEY_NAME = 'initial';
/**
 * `last_used_at` is written at most this often per key: knowing a key is in use (or has not been
 * for months) needs no finer grain, and a write per request would double the database's work.
 */
export const LAST_USED_EVERY_SECONDS = 60;

/** Creates tenants and resolves API keys to tenants. */
export class TenancyService {
  private readonly logger = new Logger('ApiKeys');
  /** Keys whose use is being recorded right now: a burst of requests writes once. */
  private readonly touching = new Set<string>();

  constructor(
    private readonly tenants: TenantRepository,
    private readonly keys: ApiKeyRepository,
  ) {}

  async createTenant(name: string): Promise<CreatedTenant> {
    const trimmed = name.trim();
    if (trimmed.length < 1 || trimmed.length > 200)
      throw new RangeError('tenant name must be 1-200 characters');
    const tenantId = randomUUID();
    const key = generateApiKey();
    await this.tenants.createWithKey(
      { id: tenantId, name: trimmed },
      {
        id: randomUUID(),
        name: INITIAL_KEY_NAME,
        scope: 'write',
        prefix: key.prefix,
        lastFour: key.lastFour,
        keyHash: key.keyHash,
      },
    );
    return { tenant_id: tenantId, api_key: key.apiKey };
  }

  /** The key's tenant and scope, or null for an unknown, revoked or malformed key. */
  async authenticate(apiKey: string): Promise<AuthenticatedKey | null> {
    if (!apiKey.startsWith(KEY_PREFIX) || apiKey.length > 200) return null;
    // Looked up by hash: the comparison happens on digests, so no timing reveals the key. Never
    // cached, so a revoked key is refused by every app from the next request on.
    const key = await this.keys.findActiveByHash(hashApiKey(apiKey));
    if (!key) return null;
    this.recordUse(key);
    return { tenant: { id: key.tenant_id, name: key.tenant_name }, keyId: key.id, scope: key.scope };
  }

  /** In the background and best effort: a failure to record a use never fails the request. */
  private recordUse(key: ActiveKeyRow): void {
    const fresh =
      key.last_used_at !== null && Date.now() - key.last_used_at.getTime() < LAST_USED_EVERY_SECONDS * 1_000;
    if (fresh || this.touching.has(key.id)) return;
    this.touching.add(key.id);
    this.keys
      .touch(key.tenant_id, key.id, LAST_USED_EVERY_SECONDS)
      .catch((error: unknown) =>
        this.logger.warn(
          `could not record the use of API key ${key.id}: ${error instanceof Error ? error.message : String(error)}`,
        ),
      )
      .finally(() => this.touching.delete(key.id));
  }
}
