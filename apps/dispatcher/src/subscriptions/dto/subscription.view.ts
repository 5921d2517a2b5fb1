import type { OutboundScheme } from '@hub/signing';
import type { Ordering, SubscriptionStatus } from '../subscription.repository.js';

/** What the subscriptions API answers. `secret` appears once, in the answer that generated it. */
export interface SubscriptionView {
  id: string;
  endpoint: string;
  description: string | null;
  event_types: string[];
  trigger_fields: string[] | null;
  payload_fields: string[] | null;
  headers: Record<string, string>;
  signature_scheme: OutboundScheme;
  ordering: Ordering;
  enabled: boolean;
  status: SubscriptionStatus;
  status_reason: string | null;
  validated_at: string | null;
  failing_since: string | null;
  created_at: string;
  updated_at: string;
  secret?: string;
}
