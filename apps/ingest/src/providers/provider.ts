import type { CanonicalTopic, ProviderId } from '@hub/contracts';
import type { InboundRequest, SecretFormat, VerifyResult } from '@hub/signing';

/** What mapping needs of a source: never its secret (the remap command has none to give). */
export interface MappingSource {
  tenantId: string;
  id: string;
  provider: ProviderId;
  settings: Record<string, string>;
}

/** One setting a source takes: its default, and what a given value must be (the 400 names it). */
export interface SettingRule {
  default: string;
  valid: (value: string) => boolean;
  expected: string;
}

/** One event a provider's mapping makes of a delivery, before ingest gives it its envelope and id. */
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
 * A verified body the mapping cannot map (an event type it does not know, a missing or mistyped
 * field). Not the provider's fault to retry: ingest keeps it as unmapped (200) for a later remap.
 */
export class UnmappableDelivery extends Error {
  override readonly name = 'UnmappableDelivery';
}

/**
 * Everything ingest knows about one provider, so the rest of ingest never names one: how its
 * requests are verified (a scheme of libs/signing, configured), the settings and the secret a
 * source of it takes, what of a request is kept on the raw topic and what is redacted there, and
 * how its body is validated (a class-validator DTO; unknown extra fields tolerated) and mapped.
 */
export interface Provider<Payload extends object = object> {
  readonly id: ProviderId;
  /** The provider's own name, as docs/providers.md titles its mapping section. */
  readonly name: string;
  /** The settings a source of this provider takes besides the common ones, with their defaults. */
  readonly settings: Readonly<Record<string, SettingRule>>;
  readonly secret: SecretFormat;
  /** Request headers (lower case) that verifying or mapping reads, kept on the raw delivery. */
  readonly keptHeaders: readonly string[];
  /** Request headers (lower case) that carry the secret itself: kept as `[redacted]`. */
  readonly secretHeaders: readonly string[];
  /** Headers a source's settings name as carrying the secret, redacted like `secretHeaders`. */
  configuredSecretHeaders?(settings: Record<string, string>): string[];
  /** Query parameters that carry the secret: kept as `[redacted]`. */
  readonly secretQueryParameters: readonly string[];
  /** The URL to give the provider, when the bare ingest URL is not enough; `secret` null when not shown. */
  ingestUrl?(url: string, secret: string | null): string;
  verify(request: InboundRequest, secret: string, settings: Record<string, string>): VerifyResult;
  readonly payload: new () => Payload;
  map(payload: Payload, request: InboundRequest, source: MappingSource): MappedDelivery;
}

/** The half of a provider that turns a verified body into events (the remap command runs it again). */
export type ProviderMapping<Payload extends object> = Pick<Provider<Payload>, 'payload' | 'map'>;
