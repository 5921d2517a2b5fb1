import { randomUUID } from 'node:crypto';
import { BadRequestException, ConflictException, NotFoundException } from '@nestjs/common';
import type { ApiKeyScope } from './api-key.entity.js';
import type { ApiKeyRepository, ApiKeyRow } from './api-key.repository.js';
import { generateApiKey } from './api-key.secret.js';

/** A key as listed: never the key itself, only enough of it to recognise it. */
export interface ApiKeyView {
  id: string;
  name: string;
  scope: ApiKeyScope;
  prefix: string;
  last_four: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** The answer to a create: the only time the key itself is shown. */
export type CreatedApiKeyView = ApiKeyView & { api_key: string };

/** One page of keys; `after` is the id to list after for the next page, null on the last one. */
export interface ApiKeyPage {
  data: ApiKeyView[];
  after: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const API_KEY_PAGE_MAX = 100;

/** A tenant's keys: made, listed and revoked here, by the API and the CLI alike. */
export class ApiKeyService {
  constructor(private readonly keys: ApiKeyRepository) {}

  async create(tenantId: string, name: string, scope: ApiKeyScope): Promise<CreatedApiKeyView> {
    const trimmed = name.trim();
    if (trimmed.length < 1 || trimmed.length > 200)
      throw new BadRequestException('name must be 1-200 characters, not only spaces');
    if (!(await this.keys.tenantExists(tenantId))) throw new NotFoundException(`no tenant ${tenantId}`);
    const key = generateApiKey();
    const row = await this.keys.insert({
      tenantId,
      id: randomUUID(),
      name: trimmed,
      scope,
      prefix: key.prefix,
      lastFour: key.lastFour,
      keyHash: key.keyHash,
    });
    return { ...toView(row), api_key: key.apiKey };
  }

  /** Oldest first, revoked keys included (with `revoked_at`), so the listing is the keys' history. */
  async list(tenantId: string, limit: number, afterId?: string): Promise<ApiKeyPage> {
    const size = Math.min(Math.max(1, limit), API_KEY_PAGE_MAX);
    const rows = await this.keys.listByTenant(tenantId, size + 1, afterId);
    const page = rows.slice(0, size);
    return { data: page.map(toView), after: rows.length > size ? page[page.length - 1]!.id : null };
  }

  /**
   * Any key may be revoked, the one making the request included (a key that leaked can revoke
   * itself), except the tenant's last active write key: without it nobody could make or revoke
   * keys any more, so that is a 409. A key already revoked stays as it was.
   */
  async revoke(tenantId: string, id: string): Promise<ApiKeyView> {
    // Not a key id: no such key, as for any other id this tenant does not have.
    if (!UUID.test(id)) throw notFound(id);
    const outcome = await this.keys.revoke(tenantId, id);
    if ('notFound' in outcome) throw notFound(id);
    if ('lastWriteKey' in outcome)
      throw new ConflictException(
        `API key ${id} is this tenant's last active write key; create another write key before revoking it`,
      );
    return toView(outcome.revoked);
  }
}

function notFound(id: string): NotFoundException {
  return new NotFoundException(`no API key ${id}`);
}

function toView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    prefix: row.prefix,
    last_four: row.last_four,
    created_at: row.created_at.toISOString(),
    last_used_at: row.last_used_at?.toISOString() ?? null,
    revoked_at: row.revoked_at?.toISOString() ?? null,
  };
}
