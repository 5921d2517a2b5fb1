import { isCredentialHeader } from '../outbound/webhook-request.js';

/** What answers show instead of a secret header's value; sent back in an update, it keeps the value. */
export const REDACTED = '[redacted]';

/** A secret header's value sealed with SECRETS_KEY (base64 of the SecretBox layout). */
export interface SealedHeader {
  sealed: string;
}

/**
 * The `headers` column: a plain value, or `{"sealed": …}` for a credential or a header marked
 * secret. Rows written before sealing existed hold credentials as plain strings: they are still
 * sent as they are, shown redacted, and sealed by the next update that sets headers.
 */
export type StoredHeaders = Record<string, string | SealedHeader>;

export function isSealed(value: unknown): value is SealedHeader {
  return typeof value === 'object' && value !== null && typeof (value as SealedHeader).sealed === 'string';
}

/** Hidden in answers: every sealed header, and a credential still stored in plain text. */
export function isSecretHeader(name: string, value: string | SealedHeader): boolean {
  return isSealed(value) || isCredentialHeader(name);
}

/** The headers as answers show them, and the names whose values are hidden. */
export function redactHeaders(stored: StoredHeaders): {
  headers: Record<string, string>;
  secret_headers: string[];
} {
  const entries = Object.entries(stored);
  return {
    headers: Object.fromEntries(
      entries.map(([name, value]) => [name, isSecretHeader(name, value) ? REDACTED : (value as string)]),
    ),
    secret_headers: entries.filter(([name, value]) => isSecretHeader(name, value)).map(([name]) => name),
  };
}

/** The headers as an update that leaves them out would give them: secret ones as the placeholder. */
export function headersAsGiven(stored: StoredHeaders): Record<string, string> {
  return redactHeaders(stored).headers;
}

export type Sealer = (name: string, value: string) => SealedHeader;

/**
 * The headers to store from what a create or update gave: credentials by name, the headers in
 * `marked` and the ones already sealed are sealed; a `[redacted]` value keeps what is stored under
 * that name. Names compare case-insensitively, as HTTP does. A string is the problem, for a 400.
 */
export function headersToStore(
  given: Record<string, string>,
  marked: readonly string[],
  current: StoredHeaders,
  seal: Sealer,
): StoredHeaders | string {
  const givenNames = new Set(Object.keys(given).map((name) => name.toLowerCase()));
  const unknown = marked.find((name) => !givenNames.has(name.toLowerCase()));
  if (unknown !== undefined) return `secret_headers: ${unknown} is not one of the subscription's headers`;
  const secret = new Set(marked.map((name) => name.toLowerCase()));
  const previous = new Map(Object.entries(current).map(([name, value]) => [name.toLowerCase(), value]));
  const stored: StoredHeaders = {};
  for (const [name, value] of Object.entries(given)) {
    const lower = name.toLowerCase();
    const before = previous.get(lower);
    if (value === REDACTED && before === undefined) {
      return `headers.${name} is "${REDACTED}", but no value is stored for it`;
    }
    if (value === REDACTED && isSealed(before)) {
      stored[name] = before;
      continue;
    }
    const plain = value === REDACTED ? (before as string) : value;
    stored[name] =
      isCredentialHeader(name) || secret.has(lower) || isSealed(before) ? seal(name, plain) : plain;
  }
  return stored;
}
