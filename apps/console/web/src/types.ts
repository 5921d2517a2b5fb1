/** The API's answers as the console reads them (the OpenAPI documents of the three apps). */

export interface Source {
  id: string;
  provider: string;
  name: string;
  verification: 'signature' | 'none';
  settings: Record<string, string>;
  ingest_url: string;
  validated_at: string | null;
  created_at: string;
  updated_at: string;
  secret?: string;
}

export interface WindowCounts {
  accepted: number;
  rejected: number;
  unmapped: number;
}

export interface SourceStats {
  source_id: string;
  last_delivery_at: string | null;
  last_accepted_at: string | null;
  accepted: number;
  unmapped: { count: number; last_at: string | null; last_reason: string | null };
  rejected: Record<string, { count: number; last_at: string; last_detail: string }>;
  last_hour?: WindowCounts;
  last_day?: WindowCounts;
}

export interface Subscription {
  id: string;
  endpoint: string;
  description: string | null;
  event_types: string[];
  trigger_fields: string[] | null;
  payload_fields: string[] | null;
  headers: Record<string, string>;
  secret_headers: string[];
  signature_scheme: string;
  ordering: 'none' | 'entity';
  status: 'pending' | 'active' | 'disabled';
  status_reason: string | null;
  enabled?: boolean;
  validated_at?: string | null;
  failing_since?: string | null;
  created_at: string;
  updated_at: string;
  secret?: string;
}

export interface SubscriptionStats {
  subscription_id: string;
  status: string;
  window: string;
  deliveries: { succeeded: number; failed: number; pending: number };
  success_rate: number | null;
  latency_ms: { p50: number | null; p95: number | null } | null;
  last_failure: { at: string; status_code: number | null; error: string | null } | null;
}

/** One attempt at a delivery (the dispatcher's AttemptView). */
export interface Attempt {
  id: string;
  attempted_at: string;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  /** The first 1 KiB of the answer. */
  response_body: string;
}

export type DeliveryStatus = 'pending' | 'sending' | 'succeeded' | 'failed';

export interface Delivery {
  id: string;
  subscription_id: string;
  change_id: string;
  event_type: string;
  subject: string;
  status: DeliveryStatus;
  attempt_count: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  completed_at: string | null;
  /** Oldest first. */
  attempts: Attempt[];
}

export interface ReplayResult {
  subscription_id: string;
  since: string;
  until: string;
  replayed: number;
  dry_run: boolean;
}

export interface RotatedSecret {
  id: string;
  secret: string;
  previous_secret_expires_at: string;
}

/** A field path the projector has seen (GET /v1/fields). */
export interface SeenField {
  entity_type: string;
  path: string;
  types: string[];
  documents: number;
}

/** A state-change message as the state-changes topic carries it (GET /v1/changes). */
export interface StateChangeMessage {
  id: string;
  type: string;
  subject: string;
  time: string;
  tenant: string;
  data: Record<string, unknown>;
  [member: string]: unknown;
}

/** One change's outcome in a subscription preview. */
export interface PreviewItem {
  index: number;
  event_type: string;
  entity_id: string;
  matched: boolean;
  reason: string | null;
  body: Record<string, unknown> | null;
}

/** GET /v1/bus on the projector. */
export interface BusOverview {
  transport: string;
  topics: { name: string; partitions: { partition: number; end_offset: string }[] }[];
  groups: {
    group_id: string;
    topics: {
      topic: string;
      partitions: { partition: number; committed_offset: string | null; lag: number }[];
    }[];
    lag: number;
  }[];
}

/** The latest rejection of a source, of whatever reason. */
export function lastRejection(stats: SourceStats): { reason: string; at: string; detail: string } | null {
  let latest: { reason: string; at: string; detail: string } | null = null;
  for (const [reason, rejection] of Object.entries(stats.rejected))
    if (!latest || rejection.last_at > latest.at)
      latest = { reason, at: rejection.last_at, detail: rejection.last_detail };
  return latest;
}

/** A verified delivery the source's mapping could not read (GET /v1/sources/:id/unmapped). */
export interface UnmappedDelivery {
  id: string;
  received_at: string;
  reason: string;
  remapped_at: string | null;
  event_ids: string[];
  body_bytes: number;
  body: string;
  body_truncated: boolean;
}

/** A project, customer or monitor as the projector keeps it. */
export interface EntityRecord {
  id: string;
  version: number;
  provider: string;
  sources: string[];
  created_at: string;
  updated_at: string;
  document: Record<string, unknown>;
}

export interface HistoryEntry {
  version: number;
  event_id: string;
  event_type: string;
  changed_fields: string[];
  applied_at: string;
  document: Record<string, unknown>;
}

export interface ActivityEntry {
  event_id: string;
  type: string;
  occurred_at: string;
  data: Record<string, unknown>;
}
