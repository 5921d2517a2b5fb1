import type { CanonicalTopic, ProviderId } from '@hub/contracts';
import type { InboundRequest, VerifyResult } from '@hub/signing';
import type { ResolvedSource } from '../../sources/source.service.js';

/** One event an adapter makes of a delivery, before ingest gives it its envelope and id. */
export interface MappedEvent {
  topic: CanonicalTopic;
  type: string;
  /** The provider's own id of the entity the event is about; the subject is `provider:externalId`. */
  externalId: string;
  /** When it happened, as the provider says; the receive time when it says nothing. */
  time?: string;
  data: Record<string, unknown>;
}

export type MappedDelivery =
  | {
      kind: 'events';
      events: MappedEvent[];
      /** the provider's own delivery id, when it gives one */ deliveryId?: string;
    }
  /** A provider's activation check: answered, never published. */
  | { kind: 'handshake' };

/**
 * Everything provider-specific, behind three steps: verify the raw request, validate the parsed
 * body against the provider's documented shape (class-validator DTO; unknown extra fields are
 * tolerated), map it to canonical events.
 */
export interface ProviderAdapter<Payload extends object = object> {
  readonly provider: ProviderId;
  readonly payload: new () => Payload;
  verify(source: ResolvedSource, request: InboundRequest, secret: string): VerifyResult;
  map(payload: Payload, request: InboundRequest, source: ResolvedSource): MappedDelivery;
}

/** Fields an adapter does not map stay with the event, so nothing the provider sent is lost. */
export function unmapped(
  record: Record<string, unknown>,
  mapped: readonly string[],
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !mapped.includes(key)));
}

export function optionalString(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}
