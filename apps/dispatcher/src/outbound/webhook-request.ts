import { validateHeaderName, validateHeaderValue } from 'node:http';
import { signOutbound, type OutboundScheme } from '@hub/signing';

export const USER_AGENT = 'solar-hub-dispatcher/0.1';

/**
 * Headers a subscription may not set: the transport's own, every signature header, the trace
 * context (`traceparent`, `tracestate`: the dispatcher's, with tracing on), and the hop-by-hop and framing headers (RFC 9110 §7.6.1), which would change how the request is carried
 * (a `Transfer-Encoding` or `Trailer` the body does not follow, an `Upgrade`, a proxy's credentials).
 */
const RESERVED = new Set([
  'content-type',
  'content-length',
  'host',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'x-signature',
  'x-webhook-secret',
  'traceparent',
  'tracestate',
]);
const RESERVED_PREFIX = 'proxy-';
export const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
/**
 * A field value as RFC 9110 §5.5 has it: visible ASCII or obs-text, spaces and tabs only between
 * them. Anything else (U+2028, U+010A, a lone surrogate) cannot be written as one byte and would
 * make every send fail.
 */
const FIELD_VALUE = /^(?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?$/;
const MAX_HEADERS = 20;
const MAX_VALUE_LENGTH = 1_000;

/** Credentials by name: encrypted at rest and redacted in answers like the ones marked secret. */
export function isCredentialHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    lower === 'authorization' || lower === 'cookie' || lower.endsWith('-key') || lower.endsWith('-token')
  );
}

/** Why a subscription's custom headers cannot be used, naming the offending one; null when fine. */
export function customHeadersProblem(headers: Record<string, unknown>): string | null {
  const entries = Object.entries(headers);
  if (entries.length > MAX_HEADERS) return `headers may hold at most ${MAX_HEADERS} entries`;
  for (const [name, value] of entries) {
    if (!HEADER_NAME.test(name) || nodeRefuses(() => validateHeaderName(name))) {
      return `headers.${name} is not a valid HTTP header name`;
    }
    const lower = name.toLowerCase();
    if (RESERVED.has(lower) || lower.startsWith(RESERVED_PREFIX))
      return `headers.${name} is set by the dispatcher or changes how the request is carried, and cannot be set`;
    if (typeof value !== 'string') return `headers.${name} must be a string`;
    if (
      value.length > MAX_VALUE_LENGTH ||
      !FIELD_VALUE.test(value) ||
      nodeRefuses(() => validateHeaderValue(name, value))
    ) {
      return `headers.${name} must be a valid HTTP field value: at most ${MAX_VALUE_LENGTH} characters of visible ASCII or obs-text (U+0080 to U+00FF), spaces and tabs only between them`;
    }
  }
  return null;
}

function nodeRefuses(check: () => void): boolean {
  try {
    check();
    return false;
  } catch {
    return true;
  }
}

export interface SigningTarget {
  headers: Record<string, string>;
  signature_scheme: OutboundScheme;
}

/** Everything an outbound request carries besides the body: the subscription's headers, then ours. */
export function webhookHeaders(
  target: SigningTarget,
  secrets: readonly string[],
  id: string,
  body: string,
  nowMs = Date.now(),
): Record<string, string> {
  return {
    ...target.headers,
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    ...signOutbound(target.signature_scheme, secrets, {
      id,
      timestampSeconds: Math.floor(nowMs / 1_000),
      body,
    }),
  };
}
