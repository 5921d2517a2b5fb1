import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { TenantEntity } from './tenant.entity.js';
import type { TenantRepository } from './tenant.repository.js';

export interface CreatedTenant {
  tenant_id: string;
  api_key: string;
}

const KEY_PREFIX = 'hub_';

/** Creates tenants and resolves API keys to tenants. Keys are random, so SHA-256 suffices to store them. */
export class TenancyService {
  constructor(private readonly tenants: TenantRepository) {}

  async createTenant(name: string): Promise<CreatedTenant> {
    const trimmed = name.trim();
    if (trimmed.length < 1 || trimmed.length > 200)
      throw new RangeError('tenant name must be 1-200 characters');
    const tenantId = randomUUID();
    const apiKey = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    await this.tenants.createWithKey(
      { id: tenantId, name: trimmed },
      { id: randomUUID(), prefix: apiKey.slice(0, KEY_PREFIX.length + 6), keyHash: hashApiKey(apiKey) },
    );
    return { tenant_id: tenantId, api_key: apiKey };
  }

  /** The key's tenant, or null for an unknown, revoked or malformed key. */
  async authenticate(apiKey: string): Promise<TenantEntity | null> {
    if (!apiKey.startsWith(KEY_PREFIX) || apiKey.length > 200) return null;
    // Looked up by hash: the comparison happens on digests, so no timing reveals the key.
    return this.tenants.findByActiveKeyHash(hashApiKey(apiKey));
  }
}

export function hashApiKey(apiKey: string): Buffer {
  return createHash('sha256').update(apiKey, 'utf8').digest();
}
