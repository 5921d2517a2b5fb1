import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Logger } from '@nestjs/common';
import type { ActiveKeyRow, ApiKeyRepository } from './api-key.repository.js';
import { LAST_USED_EVERY_SECONDS, TenancyService } from './tenancy.service.js';
import type { TenantRepository } from './tenant.repository.js';

const KEY = `hub_${'k'.repeat(43)}`;

/** A service over a key store holding one active key, last used `lastUsedAt`; `touch` as given. */
function serviceWith(lastUsedAt: Date | null, touch: () => Promise<boolean>) {
  const touches: string[] = [];
  const row: ActiveKeyRow = {
    tenant_id: 't-1',
    tenant_name: 'Tenant',
    id: 'k-1',
    scope: 'read',
    last_used_at: lastUsedAt,
  };
  const keys = {
    findActiveByHash: () => Promise.resolve(row),
    touch: (_tenantId: string, id: string) => {
      touches.push(id);
      return touch();
    },
  } as unknown as ApiKeyRepository;
  return { service: new TenancyService({} as TenantRepository, keys), touches };
}

describe('TenancyService.authenticate and last_used_at', () => {
  test('a key never used, or used over a minute ago, is recorded once however many requests arrive together', async () => {
    for (const lastUsed of [null, new Date(Date.now() - (LAST_USED_EVERY_SECONDS + 5) * 1_000)]) {
      let finish = (_: boolean) => {};
      const { service, touches } = serviceWith(lastUsed, () => new Promise((resolve) => (finish = resolve)));
      const keys = await Promise.all([1, 2, 3].map(() => service.authenticate(KEY)));
      assert.deepEqual(keys[0], { tenant: { id: 't-1', name: 'Tenant' }, keyId: 'k-1', scope: 'read' });
      assert.deepEqual(touches, ['k-1']);
      finish(true);
    }
  });

  test('a key used within the minute is not written again', async () => {
    const { service, touches } = serviceWith(new Date(Date.now() - 5_000), () => Promise.resolve(true));
    await service.authenticate(KEY);
    assert.deepEqual(touches, []);
  });

  test('a failure to record the use is logged, never the request’s failure', async () => {
    const warned: string[] = [];
    const original = Logger.prototype.warn;
    Logger.prototype.warn = function (message: unknown) {
      warned.push(String(message));
    };
    try {
      const { service } = serviceWith(null, () => Promise.reject(new Error('database unreachable')));
      const key = await service.authenticate(KEY);
      assert.equal(key?.keyId, 'k-1');
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(warned, ['could not record the use of API key k-1: database unreachable']);
    } finally {
      Logger.prototype.warn = original;
    }
  });

  test('a malformed key is refused without a lookup', async () => {
    const { service } = serviceWith(null, () => Promise.resolve(true));
    assert.equal(await service.authenticate('not-a-hub-key'), null);
    assert.equal(await service.authenticate(`hub_${'x'.repeat(300)}`), null);
  });
});
