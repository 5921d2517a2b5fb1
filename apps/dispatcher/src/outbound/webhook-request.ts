import { signOutbound, type OutboundScheme } from '@hub/signing';

export const USER_AGENT = 'solar-hub-dispatcher/0.1';

/** Headers a subscription may not set: the transport's own and every signature header. */
const RESERVED = new Set([
  'content-type',
  'content-length',
  'host',
  'connection',
  'transfer-encoding',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'x-signature',
  'x-webhook-secret',
]);
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
const MAX_HEADERS = 20;

/** Why a subscription's custom headers cannot be used, naming the offending one; null when fine. */
export function customHeadersProblem(headers: Record<string, unknown>): string | null {
  const entries = Object.entries(headers);
  if (entries.length > MAX_HEADERS) return `headers may hold at most ${MAX_HEADERS} entries`;
  for (const [name, value] of entries) {
    if (!HEADER_NAME.test(name)) return `headers.${name} is not a valid HTTP header name`;
    if (RESERVED.has(name.toLowerCase()))
      return `headers.${name} is set by the dispatcher and cannot be overridden`;
    if (typeof value !== 'string') return `headers.${name} must be a string`;
    if (value.length > 1_000 || /[\r\n\0]/.test(value)) {
      return `headers.${name} must be at most 1000 characters without line breaks`;
    }
  }
  return null;
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
