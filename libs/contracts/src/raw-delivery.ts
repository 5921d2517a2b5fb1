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
}
