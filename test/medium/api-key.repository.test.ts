import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { defineQuery, execute, rowsOf } from '@hub/persistence';
import { ApiKeyRepository, generateApiKey, hashApiKey, type ApiKeyScope } from '@hub/tenancy';
import { stopEmbeddedTestServer } from '../support/database.js';
import { openMediumDatabase, type MediumDatabase } from './medium-database.js';

after(stopEmbeddedTestServer);

describe('ApiKeyRepository', () => {
  let db: MediumDatabase;
  let keys: ApiKeyRepository;
  before(async () => {
    db = await openMediumDatabase();
    keys = new ApiKeyRepository(db.dataSource);
  });
  after(() => db?.close());

  /** A new key of `tenantId`; its secret and stored row. */
  const newKey = async (tenantId: string, scope: ApiKeyScope = 'read', name = 'a key') => {
    const generated = generateApiKey();
    const row = await keys.insert({
      tenantId,
      id: randomUUID(),
      name,
      scope,
      prefix: generated.prefix,
      lastFour: generated.lastFour,
      keyHash: generated.keyHash,
    });
    return { secret: generated.apiKey, row };
  };

  test('insert returns the row as stored, without the hash', async () => {
    const { secret, row } = await newKey(db.tenantA, 'read', 'CRM');
    assert.equal(row.tenant_id, db.tenantA);
    assert.equal(row.name, 'CRM');
    assert.equal(row.scope, 'read');
    assert.equal(row.prefix, secret.slice(0, 10));
    assert.equal(row.last_four, secret.slice(-4));
    assert.ok(row.created_at instanceof Date);
    assert.equal(row.last_used_at, null);
    assert.equal(row.revoked_at, null);
    assert.ok(!('key_hash' in row));
  });

  test('findActiveByHash resolves an active key to its tenant and scope, never a revoked or unknown one', async () => {
    const { secret, row } = await newKey(db.tenantB, 'read');
    const found = await keys.findActiveByHash(hashApiKey(secret));
    assert.deepEqual(
      { ...found, last_used_at: null },
      { tenant_id: db.tenantB, tenant_name: 'Tenant B', id: row.id, scope: 'read', last_used_at: null },
    );
    assert.equal(await keys.findActiveByHash(hashApiKey('hub_unknown')), null);
    await newKey(db.tenantB, 'write'); // so the read key is not needed to keep access
    const outcome = await keys.revoke(db.tenantB, row.id);
    assert.ok('revoked' in outcome);
    assert.equal(await keys.findActiveByHash(hashApiKey(secret)), null);
  });

  test('touch writes last_used_at once, then not again within the interval', async () => {
    const { row } = await newKey(db.tenantA);
    assert.equal(await keys.touch(db.tenantA, row.id, 60), true);
    const first = (await keys.find(db.tenantA, row.id))!.last_used_at;
    assert.ok(first instanceof Date);
    assert.equal(await keys.touch(db.tenantA, row.id, 60), false);
    assert.deepEqual((await keys.find(db.tenantA, row.id))!.last_used_at, first);
    // Older than the interval: written again.
    await execute(
      db.dataSource,
      defineQuery("UPDATE api_keys SET last_used_at = now() - interval '2 minutes' WHERE id = $1"),
      [row.id],
    );
    assert.equal(await keys.touch(db.tenantA, row.id, 60), true);
    // Another tenant's id touches nothing.
    assert.equal(await keys.touch(db.tenantB, row.id, 0), false);
  });

  test('listByTenant pages oldest first, one tenant only, revoked keys included', async () => {
    const tenant = await newTenant();
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await newKey(tenant, 'write', `key ${i}`)).row);
    await keys.revoke(tenant, made[1]!.id);
    const first = await keys.listByTenant(tenant, 3);
    const second = await keys.listByTenant(tenant, 3, first[first.length - 1]!.id);
    const listed = [...first, ...second];
    assert.deepEqual(
      listed.map((key) => key.name),
      made.map((key) => key.name),
    );
    assert.ok(listed[1]!.revoked_at instanceof Date);
    assert.deepEqual(await keys.listByTenant(db.tenantB, 100, made[0]!.id), []);
    assert.ok((await keys.listByTenant(db.tenantB, 100)).every((key) => key.tenant_id === db.tenantB));
  });

  test("revoke: another tenant's key is not found; the last active write key is refused; a revoked key stays as it was", async () => {
    const tenant = await newTenant();
    const read = (await newKey(tenant, 'read')).row;
    const write = (await newKey(tenant, 'write')).row;
    assert.deepEqual(await keys.revoke(db.tenantA, write.id), { notFound: true });
    assert.deepEqual(await keys.revoke(tenant, randomUUID()), { notFound: true });
    assert.deepEqual(await keys.revoke(tenant, write.id), { lastWriteKey: true });
    const revokedRead = await keys.revoke(tenant, read.id);
    assert.ok('revoked' in revokedRead && revokedRead.revoked.revoked_at instanceof Date);
    const again = await keys.revoke(tenant, read.id);
    assert.deepEqual(again, revokedRead, 'revoking twice changes nothing');
    const second = (await newKey(tenant, 'write')).row;
    assert.ok('revoked' in (await keys.revoke(tenant, write.id)));
    assert.deepEqual(await keys.revoke(tenant, second.id), { lastWriteKey: true });
  });

  test('two revokes at once cannot together remove the last two write keys', async () => {
    const tenant = await newTenant();
    const [a, b] = [(await newKey(tenant, 'write')).row, (await newKey(tenant, 'write')).row];
    const outcomes = await Promise.all([keys.revoke(tenant, a.id), keys.revoke(tenant, b.id)]);
    assert.equal(outcomes.filter((outcome) => 'revoked' in outcome).length, 1);
    assert.equal(outcomes.filter((outcome) => 'lastWriteKey' in outcome).length, 1);
  });

  test('tenantExists', async () => {
    assert.equal(await keys.tenantExists(db.tenantA), true);
    assert.equal(await keys.tenantExists(randomUUID()), false);
  });

  /** A tenant with no keys yet, so counts of write keys start at zero. */
  async function newTenant(): Promise<string> {
    const id = randomUUID();
    await rowsOf(
      db.dataSource,
      defineQuery<{ id: string }>("INSERT INTO tenants (id, name) VALUES ($1, 'T') RETURNING id"),
      [id],
    );
    return id;
  }
});
