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
