import type { ProviderId } from '@hub/contracts';
import type { Verification } from '../source.entity.js';

/** What the sources API answers. `secret` appears once, in the answer that generated it. */
export interface SourceView {
  id: string;
  provider: ProviderId;
  name: string;
  verification: Verification;
  settings: Record<string, string>;
  ingest_url: string;
  validated_at: string | null;
  created_at: string;
  updated_at: string;
  secret?: string;
}

export interface SourceStatsView {
  source_id: string;
  last_delivery_at: string | null;
  last_accepted_at: string | null;
  accepted: number;
  /** Verified but not mappable: on the raw topic, listed by GET /v1/sources/:id/unmapped. */
  unmapped: { count: number; last_at: string | null; last_reason: string | null };
  rejected: Record<string, { count: number; last_at: string; last_detail: string }>;
}
