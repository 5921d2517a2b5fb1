import type { SubscriptionRow } from '../subscriptions/subscription.repository.js';
import type { ClaimedDelivery, ClaimedOnInsert, NewDelivery } from './delivery.repository.js';

/** What this process has room for now (SendSlots' counts, read when a batch is matched). */
export interface HandOverRoom {
  /** Deliveries it may still hold altogether, in flight and ready. */
  free: number;
  /** Of one subscription, what it may hold in flight and ready together. */
  perSubscription: number;
  /** What it holds now per subscription. */
  held: ReadonlyMap<string, number>;
}

/**
 * Which matched deliveries to store already claimed: in order, while there is room, within each
 * subscription's share, and only the first of each (subscription, entity) in the batch, since a
 * later one of the same entity waits for it under entity ordering (the insert itself declines
 * any whose entity already has an open delivery).
 */
export function handOverIds(deliveries: readonly NewDelivery[], room: HandOverRoom): Set<string> {
  const ids = new Set<string>();
  const taken = new Map<string, number>();
  const entities = new Set<string>();
  let free = room.free;
  for (const delivery of deliveries) {
    if (free <= 0) break;
    const entity = `${delivery.subscriptionId}\u0000${delivery.entityKey}`;
    if (entities.has(entity)) continue;
    entities.add(entity);
    const mine = taken.get(delivery.subscriptionId) ?? 0;
    if ((room.held.get(delivery.subscriptionId) ?? 0) + mine >= room.perSubscription) continue;
    ids.add(delivery.id);
    taken.set(delivery.subscriptionId, mine + 1);
    free -= 1;
  }
  return ids;
}

/**
 * The deliveries the insert stored already claimed, as a claim would have returned them: the
 * matched delivery's own fields and what its subscription needs to sign and address it.
 */
export function claimedOnInsert(
  matched: readonly NewDelivery[],
  subscriptions: readonly SubscriptionRow[],
  claimed: readonly ClaimedOnInsert[],
): ClaimedDelivery[] {
  if (claimed.length === 0) return [];
  const leases = new Map(claimed.map((row) => [row.id, row.lease_until]));
  const subscriptionOf = new Map(subscriptions.map((row) => [`${row.tenant_id}/${row.id}`, row]));
  return matched.flatMap((delivery) => {
    const lease = leases.get(delivery.id);
    const subscription = subscriptionOf.get(`${delivery.tenantId}/${delivery.subscriptionId}`);
    if (!lease || !subscription) return [];
    // A change twice in one batch (a redelivery) is matched twice and stored once: sent once.
    leases.delete(delivery.id);
    return [claimedDelivery(delivery, subscription, lease)];
  });
}

function claimedDelivery(
  delivery: NewDelivery,
  subscription: SubscriptionRow,
  leaseUntil: Date,
): ClaimedDelivery {
  return {
    tenant_id: delivery.tenantId,
    id: delivery.id,
    subscription_id: delivery.subscriptionId,
    event_type: delivery.eventType,
    entity_key: delivery.entityKey,
    body: delivery.body,
    attempts: 0,
    change_time: new Date(delivery.changeTime),
    lease_until: leaseUntil,
    trace_context: delivery.traceContext ?? null,
    endpoint: subscription.endpoint,
    headers: subscription.headers,
    signature_scheme: subscription.signature_scheme,
    secret_sealed: subscription.secret_sealed,
    previous_secret_sealed: subscription.previous_secret_sealed,
    previous_secret_expires_at: subscription.previous_secret_expires_at,
    failing_since: subscription.failing_since,
    ordering: subscription.ordering,
  };
}
