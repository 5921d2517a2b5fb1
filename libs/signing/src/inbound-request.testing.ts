import type { InboundRequest } from './verify-result.js';

/**
 * For specs: a request as Node would hand it over, header names lowercased, so that headers
 * produced by a sign function can be fed straight to the matching verify function.
 */
export function inboundRequest(
  headers: Record<string, string | string[] | undefined>,
  body: Buffer | string,
  query?: Record<string, unknown>,
): InboundRequest {
  const lowercased = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  return { headers: lowercased, body: Buffer.from(body), ...(query ? { query } : {}) };
}

/** Unix seconds → the `nowMs` a verifier takes. */
export function msAt(unixSeconds: number): number {
  return unixSeconds * 1000;
}
