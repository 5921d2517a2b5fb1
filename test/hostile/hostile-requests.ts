import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { ProviderCase, ProviderRequest } from '../support/provider-requests.js';
import { generateBody, headerValue, type CorpusEntry } from './corpus.js';

/**
 * The factories of the hostile-input tests, in one place: where each provider carries its
 * credential, how every signing mistake is made, the SQL strings, and a client that sends any
 * bytes over a real socket.
 */

/** Where a provider puts its credential, and what precedes the signature or secret there. */
interface CredentialSpot {
  header?: string;
  query?: string;
  prefix: string;
  /** The header a "sent twice" mistake duplicates. */
  duplicate: string;
  timestamp?: string;
}

const SPOTS: Record<string, CredentialSpot> = {
  'pylon-observer': {
    header: 'x-pylon-observer-signature',
    prefix: '',
    duplicate: 'x-pylon-observer-signature',
    timestamp: 'x-pylon-observer-timestamp',
  },
  observer: { header: 'x-observer-signature', prefix: 'sha256=', duplicate: 'x-observer-signature' },
  opensolar: { header: 'authorization', prefix: 'Token ', duplicate: 'authorization' },
  casesolved: { header: 'x-webhook-secret', prefix: '', duplicate: 'x-webhook-secret' },
  solarproof: { query: 'token', prefix: '', duplicate: 'token' },
  'standard-webhooks': {
    header: 'webhook-signature',
    prefix: 'v1,',
    duplicate: 'webhook-timestamp',
    timestamp: 'webhook-timestamp',
  },
};

/** A request ready for the wire: headers as name/value pairs, so one name may appear twice. */
export interface WireRequest {
  method: string;
  path: string;
  headers: Array<[string, string]>;
  body: Buffer;
}

export interface SigningContext {
  providerCase: ProviderCase;
  /** The secret of the source the request goes to. */
  secret: string;
  /** The secret of another source of the same provider and tenant. */
  otherSourceSecret: string;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A secret of the same form as the case's own, but not it. */
export function anotherSecret(providerCase: ProviderCase): string {
  return providerCase.provider === 'standard-webhooks'
    ? `whsec_${randomBytes(32).toString('base64')}`
    : `${providerCase.secret}-${randomBytes(4).toString('hex')}`;
}

/** A character that differs from `c` but stays in the same alphabet (hex, base64, text). */
function differentCharacter(c: string): string {
  if (c === 'a') return 'b';
  if (c === '=') return 'A';
  return 'a';
}

function swapCase(value: string): string {
  return [...value].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
}

type Mutation = (request: ProviderRequest, context: SigningContext, body: string) => ProviderRequest;

/** Reads and rewrites the credential (the part after the prefix) wherever the provider carries it. */
function credentialOf(request: ProviderRequest, spot: CredentialSpot): string {
  const raw = spot.query ? (request.query?.[spot.query] ?? '') : (findHeader(request, spot.header!) ?? '');
  return raw.startsWith(spot.prefix) ? raw.slice(spot.prefix.length) : raw;
}

function withCredential(request: ProviderRequest, spot: CredentialSpot, whole: string): ProviderRequest {
  if (spot.query) return { ...request, query: { ...request.query, [spot.query]: whole } };
  return { ...request, headers: { ...withoutHeader(request.headers, spot.header!), [spot.header!]: whole } };
}

function findHeader(request: ProviderRequest, name: string): string | undefined {
  return Object.entries(request.headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

function withoutHeader(headers: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => key.toLowerCase() !== name));
}

const mutateCredential =
  (change: (credential: string, spot: CredentialSpot) => string): Mutation =>
  (request, context) => {
    const spot = SPOTS[context.providerCase.provider]!;
    return withCredential(request, spot, change(credentialOf(request, spot), spot));
  };

const signedAt =
  (offset: (window: number) => number): Mutation =>
  (_request, context, body) =>
    context.providerCase.sign(context.secret, body, nowSeconds() + offset(context.providerCase.window ?? 60));

/** Every signing mistake the corpus names in `auth`. */
export const SIGNING_MISTAKES: Record<string, Mutation> = {
  valid: (request) => request,
  none: (request, context) => context.providerCase.unsigned(request),
  'wrong-secret': (_request, context, body) =>
    context.providerCase.sign(anotherSecret(context.providerCase), body),
  'other-source-secret': (_request, context, body) =>
    context.providerCase.sign(context.otherSourceSecret, body),
  'other-body': (request, context) => {
    const other = context.providerCase.sign(context.secret, '{"another":"body"}');
    return { ...other, body: request.body };
  },
  'flip-first': mutateCredential(
    (credential, spot) => spot.prefix + differentCharacter(credential[0]!) + credential.slice(1),
  ),
  'flip-last': mutateCredential(
    (credential, spot) => spot.prefix + credential.slice(0, -1) + differentCharacter(credential.at(-1)!),
  ),
  truncated: mutateCredential(
    (credential, spot) => spot.prefix + credential.slice(0, Math.floor(credential.length / 2)),
  ),
  empty: mutateCredential(() => ''),
  // Uppercase hex is the same signature (libs/signing compares bytes), so the corpus swaps case
  // only where case matters: prefixes, secrets, tokens and base64.
  'wrong-case': mutateCredential((credential, spot) => swapCase(spot.prefix + credential)),
  'wrong-prefix': mutateCredential((credential, spot) => {
    const wrong: Record<string, string> = { 'sha256=': 'sha1=', 'v1,': 'v2,', 'Token ': 'Bearer ' };
    return spot.prefix ? wrong[spot.prefix]! + credential : `sha256=${credential}`;
  }),
  'missing-prefix': mutateCredential((credential) => credential),
  'secret-in-other-header': (request, context) => {
    const spot = SPOTS[context.providerCase.provider]!;
    const headers = withoutHeader(request.headers, spot.header!);
    return { ...request, headers: { ...headers, 'x-api-key': context.secret, 'x-secret': context.secret } };
  },
  'token-in-header': (request, context) => ({
    ...request,
    query: {},
    headers: { ...request.headers, authorization: `Bearer ${context.secret}`, 'x-token': context.secret },
  }),
  'token-nested': (request, context) => ({ ...request, query: { 'token[value]': context.secret } }),
  stale: signedAt((window) => -window - 30),
  future: signedAt((window) => window + 30),
  'timestamp-changed': (request, context) => {
    const spot = SPOTS[context.providerCase.provider]!;
    const shifted = String(Number(findHeader(request, spot.timestamp!)) + 1);
    return {
      ...request,
      headers: { ...withoutHeader(request.headers, spot.timestamp!), [spot.timestamp!]: shifted },
    };
  },
  'timestamp-not-digits': (_request, context, body) => {
    const spot = SPOTS[context.providerCase.provider]!;
    const signed = context.providerCase.sign(context.secret, body);
    const value = `${findHeader(signed, spot.timestamp!)}.0`;
    return {
      ...signed,
      headers: { ...withoutHeader(signed.headers, spot.timestamp!), [spot.timestamp!]: value },
    };
  },
  'timestamp-missing': (request, context) => {
    const spot = SPOTS[context.providerCase.provider]!;
    return { ...request, headers: withoutHeader(request.headers, spot.timestamp!) };
  },
  'id-missing': (request) => ({ ...request, headers: withoutHeader(request.headers, 'webhook-id') }),
  'id-changed': (request) => ({
    ...request,
    headers: { ...withoutHeader(request.headers, 'webhook-id'), 'webhook-id': 'msg_another' },
  }),
  'other-version-only': mutateCredential((credential) => `v1a,${credential}`),
};

/** Mistakes that repeat a header or parameter: the wrong value first, then the right one. */
const DUPLICATING = new Set(['duplicated', 'token-repeated']);

/** An ingest corpus entry as a wire request against `sourceId`. */
export function ingestRequest(entry: CorpusEntry, context: SigningContext, path: string): WireRequest {
  const valid = context.providerCase.request(context.secret);
  const body = entryBody(entry, valid.body);
  const auth = entry.auth ?? 'valid';
  const base = signBytes(context, body);
  const mutation = SIGNING_MISTAKES[DUPLICATING.has(auth) ? 'valid' : auth];
  if (!mutation) throw new Error(`unknown auth mistake ${auth} in "${entry.name}"`);
  const request = mutation(base, context, base.body);
  // Mutations work on text; the bytes on the wire stay exactly the corpus's.
  const spot = SPOTS[context.providerCase.provider]!;
  const headers: Array<[string, string]> = Object.entries(request.headers).map(([k, v]) => [k, v]);
  const query = new URLSearchParams(request.query ?? {});
  if (DUPLICATING.has(auth)) {
    if (spot.query) {
      query.delete(spot.query);
      query.append(spot.query, 'wrong-token');
      query.append(spot.query, context.secret);
    } else {
      const right = headers.find(([name]) => name.toLowerCase() === spot.duplicate)!;
      headers.splice(headers.indexOf(right), 0, [right[0], `${right[1]}0`]);
    }
  }
  return finish(entry, path, query.toString(), headers, body);
}

/**
 * Signs the exact bytes as the provider would. The provider cases sign text; a body that is not
 * UTF-8 is signed here with node:crypto directly (the schemes as docs/providers.md states them), so
 * that it gets past the signature to the UTF-8 check it is meant to reach.
 */
function signBytes(context: SigningContext, body: Buffer): ProviderRequest {
  const text = body.toString('utf8');
  const { providerCase, secret } = context;
  const signed = providerCase.sign(secret, text);
  if (Buffer.from(text, 'utf8').equals(body)) return signed;
  const hmac = (key: string | Buffer, ...parts: Array<string | Buffer>) =>
    parts.reduce((mac, part) => mac.update(part), createHmac('sha256', key));
  const headers = { ...signed.headers };
  if (providerCase.provider === 'pylon-observer') {
    const timestamp = findHeader(signed, 'x-pylon-observer-timestamp')!;
    headers['X-Pylon-Observer-Signature'] = hmac(secret, body, timestamp).digest('hex');
  } else if (providerCase.provider === 'observer') {
    headers['X-Observer-Signature'] = `sha256=${hmac(secret, body).digest('hex')}`;
  } else if (providerCase.provider === 'standard-webhooks') {
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const id = findHeader(signed, 'webhook-id')!;
    const timestamp = findHeader(signed, 'webhook-timestamp')!;
    headers['webhook-signature'] = `v1,${hmac(key, `${id}.${timestamp}.`, body).digest('base64')}`;
  }
  // The other schemes send the secret itself, which does not depend on the body.
  return { ...signed, headers, body: text };
}

/** A management corpus entry as a wire request carrying `apiKey`. */
export function managementRequest(entry: CorpusEntry, apiKey: string, path: string): WireRequest {
  const body = entryBody(entry, '');
  const headers: Array<[string, string]> = [['authorization', `Bearer ${apiKey}`]];
  if (body.length > 0) headers.push(['content-type', 'application/json']);
  return finish(entry, path, '', headers, body);
}

function entryBody(entry: CorpusEntry, validBody: string): Buffer {
  if (entry.body_base64 !== undefined) return Buffer.from(entry.body_base64, 'base64');
  if (entry.generate) return Buffer.from(generateBody(entry.generate));
  if (entry.body === 'TRUNCATED') return Buffer.from(validBody.slice(0, Math.floor(validBody.length / 2)));
  return Buffer.from(entry.body ?? validBody);
}

function finish(
  entry: CorpusEntry,
  path: string,
  query: string,
  headers: Array<[string, string]>,
  body: Buffer,
): WireRequest {
  let merged = headers;
  for (const [name, value] of Object.entries(entry.headers ?? {})) {
    merged = merged.filter(([key]) => key.toLowerCase() !== name.toLowerCase());
    if (value !== null) merged.push([name, headerValue(value)]);
  }
  const separator = path.includes('?') ? '&' : '?';
  return { method: entry.method, path: query ? `${path}${separator}${query}` : path, headers: merged, body };
}

/** What came back: an answer, or the error that ended the connection without one. */
export type WireAnswer =
  { status: number; headers: http.IncomingHttpHeaders; body: string } | { dropped: string };

/** Sends over node:http (any method, repeated headers, any body bytes), one connection per request. */
export function sendOverHttp(base: string, request: WireRequest): Promise<WireAnswer> {
  const url = new URL(request.path, base);
  return new Promise((resolve) => {
    let answered = false;
    const outgoing = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: request.method,
        path: `${url.pathname}${url.search}`,
        // Given as a list (so a name may repeat), headers get no defaults: Host is ours to send,
        // and so is the body's length where the entry does not frame it itself (Node sends a
        // DELETE's body unframed, which a server reads as a second, malformed request).
        headers: [...request.headers.flat(), ...framing(request), 'host', url.host, 'connection', 'close'],
        agent: false,
      },
      (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode!,
            headers: response.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        response.on('error', () =>
          resolve({
            status: response.statusCode!,
            headers: response.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    // The server may answer (413) and close before it has read a large body: that is an answer.
    outgoing.on('error', (error) => {
      if (!answered) resolve({ dropped: error.message });
    });
    outgoing.end(request.body);
  });
}

function framing(request: WireRequest): string[] {
  const framed = request.headers.some(([name]) => /^(content-length|transfer-encoding)$/i.test(name));
  return framed || request.body.length === 0 ? [] : ['content-length', String(request.body.length)];
}

/** Writes `raw` as it is over a bare TCP socket and parses the status line and headers of the answer. */
export function sendRaw(base: string, raw: string): Promise<WireAnswer> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const socket = net.connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (!match) return resolve({ dropped: `no HTTP answer (${JSON.stringify(text.slice(0, 80))})` });
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const headers: http.IncomingHttpHeaders = {};
      for (const line of head.split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(match[1]), headers, body: rest.join('\r\n\r\n') });
    });
    socket.setTimeout(10_000, () => socket.destroy());
    socket.end(Buffer.from(raw, 'latin1'));
  });
}

/** Strings with SQL metacharacters, for properties that mix them into ids and filters. */
export const SQL_FRAGMENTS = [
  "'",
  '"',
  ';',
  '--',
  '/*',
  '*/',
  ' OR 1=1',
  "' OR '1'='1",
  '$1',
  '\\',
  '%',
  '_',
];
