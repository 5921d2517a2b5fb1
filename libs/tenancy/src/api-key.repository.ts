import { affectedBy, defineQuery, execute, rowsOf } from '@hub/persistence';
import type { DataSource } from 'typeorm';
import type { ApiKeyScope } from './api-key.entity.js';

/** An API key as stored, without its hash. */
export interface ApiKeyRow {
  tenant_id: string;
  id: string;
  name: string;
  scope: ApiKeyScope;
  prefix: string;
  last_four: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/** What a request's key resolves to: its tenant, and what the key may do. */
export interface ActiveKeyRow {
  tenant_id: string;
  tenant_name: string;
  id: string;
  scope: ApiKeyScope;
  last_used_at: Date | null;
}

export interface NewApiKey {
  tenantId: string;
  id: string;
  name: string;
  scope: ApiKeyScope;
  prefix: string;
  lastFour: string;
  keyHash: Buffer;
}

export type RevokeOutcome =
  | { revoked: ApiKeyRow }
  | { notFound: true }
  /** The tenant's last active write key: revoking it would lock the tenant out of its own API. */
  | { lastWriteKey: true };

const COLUMNS = 'tenant_id, id, name, scope, prefix, last_four, created_at, last_used_at, revoked_at';

const FIND_ACTIVE_BY_HASH = defineQuery<ActiveKeyRow, [Buffer]>(`
  SELECT k.tenant_id, t.name AS tenant_name, k.id, k.scope, k.last_used_at
  FROM api_keys AS k JOIN tenants AS t ON t.id = k.tenant_id
  WHERE k.key_hash = $1 AND k.revoked_at IS NULL`);

const TOUCH = defineQuery<never, [string, string, number]>(`
  UPDATE api_keys SET last_used_at = now()
  WHERE tenant_id = $1 AND id = $2
    AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $3))`);

const INSERT = defineQuery<ApiKeyRow, [string, string, string, ApiKeyScope, string, string, Buffer]>(`
  INSERT INTO api_keys (tenant_id, id, name, scope, prefix, last_four, key_hash)
  VALUES ($1, $2, $3, $4, $5, $6, $7)
  RETURNING ${COLUMNS}`);

/** Oldest first; the cursor is the last id of the previous page (a key is never deleted on its own). */
const LIST = defineQuery<ApiKeyRow, [string, number, string | null]>(`
  SELECT ${COLUMNS} FROM api_keys
  WHERE tenant_id = $1
    AND ($3::uuid IS NULL
      OR (created_at, id) > (SELECT created_at, id FROM api_keys WHERE tenant_id = $1 AND id = $3::uuid))
  ORDER BY created_at, id
  LIMIT $2`);

const LOCK_TENANT_KEYS = defineQuery<never, [string]>('SELECT pg_advisory_xact_lock(hashtext($1))');

const FIND = defineQuery<ApiKeyRow, [string, string]>(
  `SELECT ${COLUMNS} FROM api_keys WHERE tenant_id = $1 AND id = $2`,
);

const OTHER_ACTIVE_WRITE_KEYS = defineQuery<{ count: number }, [string, string]>(`
  SELECT count(*)::int AS count FROM api_keys
  WHERE tenant_id = $1 AND id <> $2 AND scope = 'write' AND revoked_at IS NULL`);

const REVOKE = defineQuery<ApiKeyRow, [string, string]>(`
  UPDATE api_keys SET revoked_at = now()
  WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL
  RETURNING ${COLUMNS}`);

const TENANT_EXISTS = defineQuery<{ id: string }, [string]>('SELECT id FROM tenants WHERE id = $1');

/** Every query on API keys; tenant first, except the lookup of a request's key by its hash. */
export class ApiKeyRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The key's tenant comes from the key itself: nothing else is known before authentication. */
  async findActiveByHash(keyHash: Buffer): Promise<ActiveKeyRow | null> {
    const [row] = await rowsOf(this.dataSource, FIND_ACTIVE_BY_HASH, [keyHash]);
    return row ?? null;
  }

  /** Records a use unless one was recorded within `everySeconds`; true when it wrote. */
  async touch(tenantId: string, id: string, everySeconds: number): Promise<boolean> {
    return (await affectedBy(this.dataSource, TOUCH, [tenantId, id, everySeconds])) > 0;
  }

  async insert(key: NewApiKey): Promise<ApiKeyRow> {
    const [row] = await rowsOf(this.dataSource, INSERT, [
      key.tenantId,
      key.id,
      key.name,
      key.scope,
      key.prefix,
      key.lastFour,
      key.keyHash,
    ]);
    return row!;
  }

  listByTenant(tenantId: string, limit: number, afterId?: string): Promise<ApiKeyRow[]> {
    return rowsOf(this.dataSource, LIST, [tenantId, limit, afterId ?? null]);
  }

  async find(tenantId: string, id: string): Promise<ApiKeyRow | null> {
    const [row] = await rowsOf(this.dataSource, FIND, [tenantId, id]);
    return row ?? null;
  }

  /**
   * Revokes the key, unless it is the tenant's last active write key. Revokes of one tenant's keys
   * take turns (a per-tenant lock), so two revokes at once cannot together remove the last two.
   * A key already revoked is answered as it is, its revocation time unchanged.
   */
  async revoke(tenantId: string, id: string): Promise<RevokeOutcome> {
    return this.dataSource.transaction(async (manager) => {
      await execute(manager, LOCK_TENANT_KEYS, [`api_keys/${tenantId}`]);
      const [key] = await rowsOf(manager, FIND, [tenantId, id]);
      if (!key) return { notFound: true };
      if (key.revoked_at) return { revoked: key };
      if (key.scope === 'write') {
        const [others] = await rowsOf(manager, OTHER_ACTIVE_WRITE_KEYS, [tenantId, id]);
        if ((others?.count ?? 0) === 0) return { lastWriteKey: true };
      }
      const [revoked] = await rowsOf(manager, REVOKE, [tenantId, id]);
      return { revoked: revoked! };
    });
  }

  async tenantExists(tenantId: string): Promise<boolean> {
    return (await rowsOf(this.dataSource, TENANT_EXISTS, [tenantId])).length > 0;
  }
}
