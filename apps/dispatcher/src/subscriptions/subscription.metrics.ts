import { Counter } from 'prom-client';

/** Why a subscription was disabled: failing for DISPATCH_DISABLE_AFTER, 410 Gone, or through the API. */
export type DisabledReason = 'failing' | 'gone' | 'api';

const subscriptionsDisabled = new Counter({
  name: 'hub_dispatcher_subscriptions_disabled_total',
  help: 'Subscriptions disabled, by reason: failing (no success for DISPATCH_DISABLE_AFTER), gone (410 Gone), api.',
  labelNames: ['reason'] as const,
});

export function countDisabled(reason: DisabledReason): void {
  subscriptionsDisabled.inc({ reason });
}
