import { randomUUID } from 'node:crypto';
import type { NewSubscription } from '../../apps/dispatcher/src/subscriptions/subscription.repository.js';

/** An active subscription of the tenant, with one plain and one sealed header. */
export function newSubscription(tenantId: string, changes: Partial<NewSubscription> = {}): NewSubscription {
  return {
    tenant_id: tenantId,
    id: `sub_${randomUUID().replace(/-/g, '')}`,
    endpoint: 'https://receiver.example/hook',
    description: null,
    event_types: ['project.updated'],
    trigger_fields: null,
    payload_fields: null,
    headers: { 'x-plain': 'value', 'x-secret': { sealed: 'c2VhbGVk' } },
    signature_scheme: 'standard-webhooks',
    secret_sealed: Buffer.from('sealed secret'),
    ordering: 'none',
    status: 'active',
    status_reason: null,
    ...changes,
  };
}
