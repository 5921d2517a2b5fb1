import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { defineQuery, execute, rowsOf } from '@hub/persistence';
import { hashApiKey, TenantRepository } from '@hub/tenancy';
import { stopEmbeddedTestServer } from '../support/database.js';
import { openMediumDatabase, type MediumDatabase } from './medium-database.js';

after(stopEmbeddedTestServer);

describe('TenantRepository', () => {
  let db: MediumDatabase;
  let tenants: TenantRepository;
  before(async () => {
    db = await openMediumDatabase();
    tenants = new TenantRepository(db.dataSource);
  });
  after(() => db?.close());

  const newTenant = async (name: string, key: string) => {
    const id = randomUUID();
    await tenants.createWithKey(
      { id, name },
      { id: randomUUID(), prefix: key.slice(0, 10), keyHash: hashApiKey(key) },
    );
    return id;
  };

  test('finds the tenant of an active key, and only that tenant', async () => {
    const first = await newTenant('First', 'hub_first-key');
    const second = await newTenant('Second', 'hub_second-key');
    assert.equal((await tenants.findByActiveKeyHash(hashApiKey('hub_first-key')))?.id, first);
    const found = await tenants.findByActiveKeyHash(hashApiKey('hub_second-key'));
    assert.equal(found?.id, second);
    assert.equal(found?.name, 'Second');
    assert.equal(await tenants.findByActiveKeyHash(hashApiKey('hub_unknown-key')), null);
  });

  test('a revoked key finds no tenant', async () => {
    const id = await newTenant('Revoked', 'hub_revoked-key');
    await execute(db.dataSource, defineQuery('UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1'), [
      id,
    ]);
    assert.equal(await tenants.findByActiveKeyHash(hashApiKey('hub_revoked-key')), null);
  });

  test('tenant and key are made together: a key that cannot be stored leaves no tenant', async () => {
    await newTenant('Whole', 'hub_shared-key');
    const halfId = randomUUID();
    // The key's hash is taken: its insert fails after the tenant's, in the same transaction.
    await assert.rejects(
      tenants.createWithKey(
        { id: halfId, name: 'Half' },
        { id: randomUUID(), prefix: 'hub_shared', keyHash: hashApiKey('hub_shared-key') },
      ),
    );
    const rows = await rowsOf(
      db.dataSource,
      defineQuery<{ id: string }>('SELECT id FROM tenants WHERE id = $1'),
      [halfId],
    );
    assert.deepEqual(rows, []);
  });
});
