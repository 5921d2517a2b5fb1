import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { defineQuery, rowsOf } from '@hub/persistence';
import { ApiKeyRepository, hashApiKey, TenantRepository } from '@hub/tenancy';
import { stopEmbeddedTestServer } from '../support/database.js';
import { openMediumDatabase, type MediumDatabase } from './medium-database.js';

after(stopEmbeddedTestServer);

describe('TenantRepository', () => {
  let db: MediumDatabase;
  let tenants: TenantRepository;
  let keys: ApiKeyRepository;
  before(async () => {
    db = await openMediumDatabase();
    tenants = new TenantRepository(db.dataSource);
    keys = new ApiKeyRepository(db.dataSource);
  });
  after(() => db?.close());

  const keyOf = (key: string) => ({
    id: randomUUID(),
    name: 'initial',
    scope: 'write' as const,
    prefix: key.slice(0, 10),
    lastFour: key.slice(-4),
    keyHash: hashApiKey(key),
  });

  test('a tenant is made with its first key, which resolves to it', async () => {
    const id = randomUUID();
    const key = keyOf('hub_first-key');
    await tenants.createWithKey({ id, name: 'First' }, key);
    const found = await keys.findActiveByHash(hashApiKey('hub_first-key'));
    assert.equal(found?.tenant_id, id);
    assert.equal(found?.tenant_name, 'First');
    assert.equal(found?.id, key.id);
    assert.equal(found?.scope, 'write');
  });

  test('tenant and key are made together: a key that cannot be stored leaves no tenant', async () => {
    await tenants.createWithKey({ id: randomUUID(), name: 'Whole' }, keyOf('hub_shared-key'));
    const halfId = randomUUID();
    // The key's hash is taken: its insert fails after the tenant's, in the same transaction.
    await assert.rejects(tenants.createWithKey({ id: halfId, name: 'Half' }, keyOf('hub_shared-key')));
    const rows = await rowsOf(
      db.dataSource,
      defineQuery<{ id: string }>('SELECT id FROM tenants WHERE id = $1'),
      [halfId],
    );
    assert.deepEqual(rows, []);
  });
});
