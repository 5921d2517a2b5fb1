import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { createHash } from 'node:crypto';
import type { OutgoingMessage } from '@hub/bus';
import {
  buildCanonicalEvent,
  canonicalEntityId,
  canonicalEventProblem,
  storableTime,
  cloudEventMessage,
  deterministicEventId,
  type CanonicalEvent,
  type CanonicalTopic,
  canonicalTopic,
  type Lane,
  type Topics,
} from '@hub/contracts';
import type { InboundRequest } from '@hub/signing';
import {
  UnmappableDelivery,
  type MappedDelivery,
  type MappedEvent,
  type MappingSource,
} from '../providers/provider.js';
import { providerOf } from '../providers/registry.js';

/** A verified request as mapping sees it: live from ingest, or read back from the raw topic. */
export interface MappingRequest extends InboundRequest {
  receivedAt: Date;
}

export type CanonicalOnTopic = CanonicalEvent & { topic: CanonicalTopic };

/**
 * What a verified JSON body becomes. `key` identifies the delivery (its raw delivery id and its
 * events' ids derive from it), so mapping the same bytes again always gives the same ids.
 */
export type MappingOutcome =
  | { kind: 'events'; key: string; events: CanonicalOnTopic[] }
  | { kind: 'handshake'; key: string }
  | { kind: 'unmapped'; key: string; reason: string; code: UnmappedCode };

/**
 * The class of an unmapped delivery's reason, a short bounded code for metrics: the body failed
 * the provider's schema, the mapping refused it, or an event it made would be refused downstream.
 */
export type UnmappedCode = 'invalid_payload' | 'unmappable' | 'invalid_event';

/**
 * Validates a verified body against its provider's schema and maps it into canonical events. The
 * one place both ingest and the remap command turn a body into events: a body the adapter cannot
 * validate or map is `unmapped` with the reason, never an error.
 */
export async function mapDelivery(
  source: MappingSource,
  request: MappingRequest,
  body: Record<string, unknown>,
): Promise<MappingOutcome> {
  const adapter = providerOf(source.provider);
  let mapped: MappedDelivery;
  try {
    const payload = plainToInstance(adapter.payload, body);
    const errors = await validate(payload, {
      forbidUnknownValues: false,
      validationError: { target: false },
    });
    if (errors.length > 0) return unmapped(request, flatten(errors).join('; '), 'invalid_payload');
    mapped = adapter.map(payload, request, source);
  } catch (error) {
    if (error instanceof UnmappableDelivery) return unmapped(request, error.message, 'unmappable');
    throw error;
  }
  const key = deliveryKey(mapped, request);
  if (mapped.kind === 'handshake') return { kind: 'handshake', key };
  const events = mapped.events.map((event, index) => envelope(source, request, key, event, index));
  // What a consumer would refuse (an id with a line break, a type too long) is never published.
  for (const [index, event] of events.entries()) {
    const problem = canonicalEventProblem(event as unknown as Record<string, unknown>);
    if (problem) return unmapped(request, `event ${index}: ${problem}`, 'invalid_event');
  }
  return { kind: 'events', key, events };
}

/** The raw delivery's id: one per delivery key, so a retried delivery keeps its id. */
export function rawDeliveryId(sourceId: string, key: string): string {
  return deterministicEventId([sourceId, key, 'raw']);
}

/** The messages of a delivery's events, by the topic each goes to in `lane`. */
export function canonicalMessagesByTopic(
  topics: Topics,
  events: Array<CanonicalEvent & { topic: CanonicalTopic }>,
  lane: Lane,
): Map<string, OutgoingMessage[]> {
  const byTopic = new Map<string, OutgoingMessage[]>();
  for (const { topic, ...event } of events) {
    const name = canonicalTopic(topics, topic, lane);
    const messages = byTopic.get(name) ?? [];
    messages.push(cloudEventMessage(event));
    byTopic.set(name, messages);
  }
  return byTopic;
}

function unmapped(request: InboundRequest, reason: string, code: UnmappedCode): MappingOutcome {
  return { kind: 'unmapped', key: bodyKey(request), reason, code };
}

/** The provider's delivery id when it gives one, else the body's hash: a retry maps to the same ids. */
function deliveryKey(mapped: MappedDelivery, request: InboundRequest): string {
  if (mapped.kind === 'events' && mapped.deliveryId) return `id:${mapped.deliveryId}`;
  return bodyKey(request);
}

function bodyKey(request: InboundRequest): string {
  return `sha256:${createHash('sha256').update(request.body).digest('hex')}`;
}

function envelope(
  source: MappingSource,
  request: MappingRequest,
  key: string,
  event: MappedEvent,
  index: number,
): CanonicalOnTopic {
  const subject = canonicalEntityId(source.provider, event.externalId);
  const canonical = buildCanonicalEvent({
    id: deterministicEventId([source.id, key, String(index), event.type, subject]),
    sourceId: source.id,
    type: event.type,
    subject,
    // The provider's time when stores can hold it; the receive time stands in otherwise.
    time: storableTime(event.time) ?? request.receivedAt.toISOString(),
    tenant: source.tenantId,
    provider: source.provider,
    data: { id: subject, ...event.data },
  });
  // Added last, not spread first: no copy per event; it is taken off again before publishing.
  return Object.assign(canonical, { topic: event.topic });
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const path = `${prefix}${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property) ? `${prefix}${message}` : `${path}: ${message}`,
    );
    return [...own, ...flatten(error.children ?? [], `${path}.`)];
  });
}
