import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { defineQuery, execute } from '@hub/persistence';
import { AttemptOutcomes } from '../../apps/dispatcher/src/deliveries/attempt-outcomes.js';
import {
  DeliveryRepository,
  type ClaimedDelivery,
} from '../../apps/dispatcher/src/deliveries/delivery.repository.js';
import { SendWakeups, type WakeReason } from '../../apps/dispatcher/src/deliveries/send-wakeups.js';
import { DISPATCHER_MIGRATIONS } from '../../apps/dispatcher/src/migrations.js';
import type { DispatcherConfig } from '../../apps/dispatcher/src/config/dispatcher.config.js';
import type { OperationalEvents } from '../../apps/dispatcher/src/operational/operational-events.js';
import {
  SubscriptionRepository,
  type Ordering,
} from '../../apps/dispatcher/src/subscriptions/subscription.repository.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { newSubscription } from './dispatcher-tables.js';
import { openMediumDatabase, type MediumDatabase } from './medium-database.js';

after(stopEmbeddedTestServer);

/** SendWakeups as the worker has it, remembering why it was rung. */
class RecordedWakeups extends SendWakeups {
  readonly rung: WakeReason[] = [];
  override ring(reason: WakeReason): void {
    this.rung.push(reason);
    super.ring(reason);
  }
}

describe('AttemptOutcomes', () => {
  let db: MediumDatabase;
  let deliveries: DeliveryRepository;
  let subscriptions: SubscriptionRepository;
  before(async () => {
    db = await openMediumDatabase({ migrations: DISPATCHER_MIGRATIONS });
    deliveries = new DeliveryRepository(db.dataSource);
    subscriptions = new SubscriptionRepository(db.dataSource);
  });
  after(() => db?.close());
  beforeEach(() => execute(db.dataSource, defineQuery('DELETE FROM subscriptions')));

  /** One delivery of a new subscription with this ordering, claimed as the worker claims it. */
  const claimedUnder = async (ordering: Ordering): Promise<ClaimedDelivery> => {
    const subscription = newSubscription(db.tenantA, { ordering });
    assert.equal(await subscriptions.createWithinQuota(subscription, 100), true);
    const id = `dlv_${randomUUID()}`;
    await deliveries.insertMatched([
      {
        tenantId: db.tenantA,
        id,
        subscriptionId: subscription.id,
        changeId: `chg_${randomUUID()}`,
        eventType: 'project.updated',
        entityKey: 'project:1',
        body: '{}',
        changeTime: new Date().toISOString(),
      },
    ]);
    const [claimed] = await deliveries.claim(10, 10, 60_000, new Map());
    assert.equal(claimed?.id, id);
    assert.equal(claimed.ordering, ordering);
    return claimed;
  };

  /** Writes one success per delivery, as the worker reports them, and answers why the worker was woken. */
  const recordSuccesses = async (claimed: ClaimedDelivery[]): Promise<WakeReason[]> => {
    const wakeups = new RecordedWakeups();
    // Only failures, 410s and exhausted deliveries reach the bus or the disable threshold.
    const outcomes = new AttemptOutcomes(deliveries, subscriptions, {} as OperationalEvents, wakeups, {
      DISPATCH_DISABLE_AFTER: 5,
    } as DispatcherConfig);
    for (const delivery of claimed) {
      outcomes.add(
        delivery,
        { kind: 'succeeded' },
        {
          tenantId: delivery.tenant_id,
          attemptId: `att_${randomUUID()}`,
          deliveryId: delivery.id,
          attemptedAt: new Date(),
          statusCode: 200,
          durationMs: 3,
          error: null,
          responseBody: 'ok',
          status: 'succeeded',
          nextAttemptAt: null,
        },
      );
    }
    await outcomes.drain();
    for (const delivery of claimed)
      assert.equal((await deliveries.findById(delivery.tenant_id, delivery.id))?.status, 'succeeded');
    return wakeups.rung;
  };

  test('outcomes of entity-ordered deliveries wake the worker: the next of each entity may now go', async () => {
    const entity = await claimedUnder('entity');
    assert.deepEqual(await recordSuccesses([entity]), ['outcomes-recorded']);
  });

  test('outcomes under no ordering wake nothing: no delivery waited for them', async () => {
    const unordered = await claimedUnder('none');
    assert.deepEqual(await recordSuccesses([unordered]), []);
  });
});
