import assert from 'node:assert/strict';
import type { ProviderId } from '@hub/contracts';
import type { InboundRequest } from '@hub/signing';
import type { MappedEvent, MappingSource } from './provider.js';
import { providerOf } from './registry.js';

/**
 * What the providers' unit tests share: a request and source to map with. Only specs load it (the
 * dependency rule `testing-helpers-only-from-specs`): it lives here because apps may not import test/.
 */
export const request: InboundRequest & { query: Record<string, unknown> } = {
  headers: {},
  body: Buffer.alloc(0),
  query: {},
};

export function source(provider: ProviderId, settings: Record<string, string> = {}): MappingSource {
  return { tenantId: 't', id: 'src_1', provider, settings };
}

/** The events a provider maps `payload` to; fails the test when it maps to anything else. */
export function events(
  provider: ProviderId,
  payload: object,
  settings?: Record<string, string>,
): MappedEvent[] {
  const mapped = providerOf(provider).map(payload, request, source(provider, settings));
  assert.equal(mapped.kind, 'events');
  return mapped.kind === 'events' ? mapped.events : [];
}
