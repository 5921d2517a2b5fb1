import type { CanonicalTopic, ProviderId } from '@hub/contracts';
import type { InboundRequest, VerifyResult } from '@hub/signing';
import type { ResolvedSource } from '../../sources/source.service.js';

/** What mapping needs of a source: never its secret (the remap command has none to give). */
export type MappingSource = Pick<ResolvedSource, 'tenantId' | 'id' | 'provider' | 'settings'>;

/**
 * A verified body the adapter cannot map (an event type it does not know, a missing or mistyped
 * field). Not the provider's fault to retry: ingest keeps it as unmapped (200) for a later remap.
 */
export class UnmappableDelivery extends Error {
  override readonly name = 'UnmappableDelivery';
}

export function unmappable(reason: string): UnmappableDelivery {
  return new UnmappableDelivery(reason);
}

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
  map(payload: Payload, request: InboundRequest, source: MappingSource): MappedDelivery;
}

/** Fields an adapter does not map stay with the event, so nothing the provider sent is lost. */
export function unmapped(
  record: Record<string, unknown>,
  mapped: readonly string[],
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !mapped.includes(key)));
}

/**
 * An id the provider gave, as text. A JSON number beyond 2^53 (or with a fraction) was already
 * rounded by the parser: two ids could become one, so the delivery is unmapped instead.
 */
export function optionalId(value: unknown, field: string): string | null {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw unmappable(
      `${field} is a JSON number that cannot be kept exact (not a safe integer); send ids as strings`,
    );
  }
  return optionalString(value);
}

export function requiredId(value: unknown, field: string, missing = `${field} is required`): string {
  const id = optionalId(value, field);
  if (!id) throw unmappable(missing);
  return id;
}

/** The first of `names` in `record` that holds an id (`prefix` names the record in reasons). */
export function firstId(record: Record<string, unknown>, names: string[], prefix = ''): string | null {
  for (const name of names) {
    const id = optionalId(record[name], `${prefix}${name}`);
    if (id) return id;
  }
  return null;
}

export function optionalString(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}
