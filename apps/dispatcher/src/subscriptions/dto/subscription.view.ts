import type { SubscriptionRow } from '../subscription.repository.js';

/**
 * What the subscriptions API answers: the row's own fields without the sealed secrets, times as
 * ISO strings, and `enabled`. `secret` appears once, in the answer that generated it. Secret
 * headers' values are "[redacted]"; `secret_headers` names them.
 */
export type SubscriptionView = Pick<
  SubscriptionRow,
  | 'id'
  | 'endpoint'
  | 'description'
  | 'event_types'
  | 'trigger_fields'
  | 'payload_fields'
  | 'signature_scheme'
  | 'ordering'
  | 'status'
  | 'status_reason'
> & {
  headers: Record<string, string>;
  secret_headers: string[];
  enabled: boolean;
  validated_at: string | null;
  failing_since: string | null;
  created_at: string;
  updated_at: string;
  secret?: string;
};
