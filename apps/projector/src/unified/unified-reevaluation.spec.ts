import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConflictException } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { ProjectionRepository } from '../projection/projection.repository.js';
import type { StateChange } from '../projection/state-change.js';
import type { UnifiedChangesPublisher } from './unified-changes.publisher.js';
import type { UnifiedRecordsRepository } from './unified-records.repository.js';
import { UNIFIED_OFF, UnifiedReevaluation } from './unified-reevaluation.js';
import type { UnifiedRepository } from './unified.repository.js';
import type { UnifiedService } from './unified.service.js';

const TENANT = '00000000-0000-4000-8000-000000000001';
const CHANGE = { type: 'customer.linked' } as unknown as StateChange;

/** The command's steps, in order, each by name: what the reevaluation calls of its collaborators. */
function reevaluation(enabled = true) {
  const steps: string[] = [];
  const manager = {} as EntityManager;
  const dataSource = {
    transaction: async <T>(work: (m: EntityManager) => Promise<T>) => {
      steps.push('begin');
      try {
        const result = await work(manager);
        steps.push('commit');
        return result;
      } catch (error) {
        steps.push('rollback');
        throw error;
      }
    },
  } as unknown as DataSource;
  const projection = { holdRebuildLockShared: async () => void steps.push('rebuild lock') };
  const groups = async () => new Map<string, string>();
  const records = { groupsOf: groups, groupsAround: groups };
  const engineRecords = { lockTenants: async () => void steps.push('tenant lock') };
  const engine = {
    enabled,
    reevaluateTenant: async () => (steps.push('reevaluate tenant'), [CHANGE]),
    reevaluateRecords: async (_: EntityManager, refs: Array<{ id: string }>) => (
      steps.push(`reevaluate ${refs.map((ref) => ref.id).join(' ')}`),
      [CHANGE]
    ),
  };
  const publisher = { publish: async () => void steps.push('publish') };
  const service = new UnifiedReevaluation(
    dataSource,
    projection as unknown as ProjectionRepository,
    records as unknown as UnifiedRecordsRepository,
    engineRecords as unknown as UnifiedRepository,
    engine as unknown as UnifiedService,
    publisher as unknown as UnifiedChangesPublisher,
  );
  return { service, steps };
}

describe('UnifiedReevaluation', () => {
  test('a decision re-evaluates only its records, and publishes last, after the answer', async () => {
    const { service, steps } = reevaluation();
    const refs = [
      { tenantId: TENANT, kind: 'customer' as const, id: 'opensolar:1' },
      { tenantId: TENANT, kind: 'customer' as const, id: 'solarproof:2' },
    ];
    const { answer } = await service.run(
      TENANT,
      'customer',
      'customer.link:solarproof:2',
      async () => (steps.push('choose'), { records: refs }),
      async () => (steps.push('answer'), 'answered'),
    );
    assert.equal(answer, 'answered');
    assert.deepEqual(steps, [
      'begin',
      'rebuild lock',
      'tenant lock',
      'choose',
      'reevaluate opensolar:1 solarproof:2',
      'answer',
      'publish',
      'commit',
    ]);
  });

  test('rules re-evaluate the tenant', async () => {
    const { service, steps } = reevaluation();
    await service.run(
      TENANT,
      undefined,
      'rules',
      async () => ({ tenant: true }),
      async () => null,
    );
    assert.ok(steps.includes('reevaluate tenant'), steps.join());
  });

  test('nothing is published when a step after the re-evaluation fails', async () => {
    const { service, steps } = reevaluation();
    await assert.rejects(
      service.run(
        TENANT,
        'customer',
        'customer.unlink:solarproof:2',
        async () => ({ records: [{ tenantId: TENANT, kind: 'customer', id: 'solarproof:2' }] }),
        () => Promise.reject(new Error('the answer failed')),
      ),
      /the answer failed/,
    );
    assert.ok(!steps.includes('publish'), steps.join());
    assert.equal(steps.at(-1), 'rollback');
  });

  test('with UNIFIED_RECORDS=off a command is a 409 and nothing runs', async () => {
    const { service, steps } = reevaluation(false);
    await assert.rejects(
      service.run(
        TENANT,
        undefined,
        'rules',
        async () => (steps.push('choose'), { tenant: true }),
        async () => null,
      ),
      (error: unknown) => error instanceof ConflictException && error.message === UNIFIED_OFF,
    );
    assert.deepEqual(steps, []);
  });
});
