import type { ProviderId } from './providers.js';

/** One provider request exactly as received, for audit and for re-normalising later. */
export interface RawDelivery {
  id: string;
  tenant: string;
  source: string;
  provider: ProviderId;
  received_at: string;
  /** Headers that matter to verification and mapping; secrets replaced by `[redacted]`. */
  headers: Record<string, string>;
  query: Record<string, string>;
  content_type: string | null;
  /** The raw body bytes, base64: verification ran on exactly these. */
  body_base64: string;
  /** Ids of the canonical events made from it. */
  event_ids: string[];
  /**
   * Set when the request verified but its body could not be mapped (an unknown event type, a
   * missing or mistyped field): kept here whole, no canonical events, `ingest:remap` can map it later.
   */
  unmapped?: true;
  /** Why it could not be mapped (with `unmapped`). */
  reason?: string;
}
