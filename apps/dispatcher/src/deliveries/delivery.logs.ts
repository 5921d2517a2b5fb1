import { Logger } from '@nestjs/common';
import type { SubscriptionRow } from '../subscriptions/subscription.repository.js';
import type { AttemptRecord, ClaimedDelivery } from './delivery.repository.js';
import type { Decision } from './retry-policy.js';

const logger = new Logger('Deliveries');

/**
 * The one line of an attempt that did not succeed: whose, which try, the receiver's status or the
 * network error, and when the next try is (null: none, the delivery has failed for good). Never
 * the endpoint (its query may hold a token), a header, the signature or either body.
 */
export function logFailedAttempt(delivery: ClaimedDelivery, decision: Decision, record: AttemptRecord): void {
  if (decision.kind === 'succeeded') return;
  logger.warn(
    {
      tenant_id: delivery.tenant_id,
      subscription_id: delivery.subscription_id,
      delivery_id: delivery.id,
      attempt: delivery.attempts + 1,
      ...(record.statusCode === null ? { error: record.error } : { status: record.statusCode }),
      outcome: decision.kind,
      next_attempt_at: record.nextAttemptAt?.toISOString() ?? null,
    },
    'delivery attempt failed',
  );
}

/** The one line of a subscription the dispatcher disabled (failing too long, or 410 Gone). */
export function logDisabledSubscription(row: SubscriptionRow): void {
  logger.warn(
    { tenant_id: row.tenant_id, subscription_id: row.id, reason: row.status_reason },
    'subscription disabled',
  );
}
