import { defineContract, type MessageContract, type Parsed } from '../contract.js';
import { PROVIDERS, SOURCE_ID, type ProviderId } from '../providers.js';
import {
  EVENT_ID,
  exactly,
  ISO_TIME,
  matching,
  oneOf,
  optional,
  STRING_LIST,
  STRING_MAP,
  TEXT,
  TEXT_OR_NULL,
  UUID,
} from '../rules.js';

export const RAW_DELIVERY_CONTENT_TYPE = 'application/json';

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

/** What the remap command can rely on when it reads the raw topic back. */
export const RAW_DELIVERY_RULES = {
  // deterministicEventId of the source and the delivery key (rawDeliveryId).
  id: EVENT_ID,
  tenant: UUID,
  source: matching(SOURCE_ID, 'must be a source id (src_…)'),
  provider: oneOf(PROVIDERS),
  received_at: ISO_TIME,
  headers: STRING_MAP,
  query: STRING_MAP,
  content_type: TEXT_OR_NULL,
  body_base64: TEXT,
  event_ids: STRING_LIST,
  unmapped: optional(exactly(true)),
  reason: optional(TEXT),
};

export const RawDeliveryContract: MessageContract<RawDelivery> = defineContract<RawDelivery>({
  name: 'RawDelivery',
  contentType: RAW_DELIVERY_CONTENT_TYPE,
  what: 'a raw delivery',
  rules: RAW_DELIVERY_RULES,
});

export function parseRawDelivery(value: Buffer): Parsed<RawDelivery> {
  return RawDeliveryContract.parse(value);
}

export interface RawDeliveryFields {
  id: string;
  tenant: string;
  sourceId: string;
  provider: ProviderId;
  receivedAt: Date;
  headers: Record<string, string>;
  query: Record<string, string>;
  contentType: string | null;
  body: Buffer;
  eventIds: string[];
  /** Why a verified body could not be mapped; absent when it was. */
  unmappedReason?: string;
}

/** The one place a raw delivery is assembled (members in this order on the bus). */
export function buildRawDelivery(fields: RawDeliveryFields): RawDelivery {
  return {
    id: fields.id,
    tenant: fields.tenant,
    source: fields.sourceId,
    provider: fields.provider,
    received_at: fields.receivedAt.toISOString(),
    headers: fields.headers,
    query: fields.query,
    content_type: fields.contentType,
    body_base64: fields.body.toString('base64'),
    event_ids: fields.eventIds,
    ...(fields.unmappedReason !== undefined
      ? { unmapped: true as const, reason: fields.unmappedReason }
      : {}),
  };
}
