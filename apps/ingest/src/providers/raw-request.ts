import type { InboundRequest } from '@hub/signing';
import type { MappingSource } from './provider.js';
import { PROVIDER_REGISTRY } from './registry.js';

const REDACTED = '[redacted]';

/** Kept from every request, whatever its provider. */
const COMMON_HEADERS = ['content-type', 'user-agent'];

const PROVIDERS = Object.values(PROVIDER_REGISTRY);

/**
 * Headers that carry a secret for any provider: a secret sent to the wrong source is still a
 * secret, so it is redacted wherever it arrives.
 */
const SECRET_HEADERS: ReadonlySet<string> = new Set(PROVIDERS.flatMap((p) => p.secretHeaders));

/**
 * What a raw delivery keeps, the same for every source: the headers any provider's verifying or
 * mapping reads, and (redacted) the ones that carry secrets.
 */
const KEPT_HEADERS: ReadonlySet<string> = new Set([
  ...COMMON_HEADERS,
  ...PROVIDERS.flatMap((p) => p.keptHeaders),
  ...SECRET_HEADERS,
]);

/** The request's headers as the raw delivery stores them: shared secrets replaced, signatures kept. */
export function redactedHeaders(source: MappingSource, request: InboundRequest): Record<string, string> {
  const configured = PROVIDER_REGISTRY[source.provider].configuredSecretHeaders?.(source.settings) ?? [];
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const secret = SECRET_HEADERS.has(name) || configured.includes(name);
    if (!secret && !KEPT_HEADERS.has(name)) continue;
    result[name] = secret ? REDACTED : Array.isArray(value) ? value.join(', ') : value;
  }
  return result;
}

/** The query as the raw delivery stores it: every parameter, the provider's secret ones redacted. */
export function redactedQuery(
  source: MappingSource,
  request: { query: Record<string, unknown> },
): Record<string, string> {
  const secrets = PROVIDER_REGISTRY[source.provider].secretQueryParameters;
  return Object.fromEntries(
    Object.entries(request.query).map(([name, value]) => [
      name,
      secrets.includes(name) ? REDACTED : String(value),
    ]),
  );
}
