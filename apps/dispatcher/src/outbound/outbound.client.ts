import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { DispatcherConfig } from '../config/dispatcher.config.js';
import {
  addressRefusal,
  forbiddenAddressReason,
  forbiddenHostReason,
  type AddressPolicy,
} from './address-policy.js';

/** What one attempt came to; `statusCode` null when no answer arrived. */
export interface AttemptResult {
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** The first bytes of the answer, for the delivery log. */
  responseBody: string;
  /** From `Retry-After` on 429 and 503 only. */
  retryAfterMs: number | null;
}

/** How much of an answer the log keeps, and how much is read before the socket is given up. */
const LOGGED_BYTES = 1_024;
const DRAINED_BYTES = 64 * 1_024;
const MAX_ENDPOINT_LENGTH = 2_000;

class RefusedTarget extends Error {}

/**
 * Sends outbound webhooks over keep-alive pools. Every address is checked when the socket
 * connects, after DNS resolution, so a name that resolves to a public address at creation and to
 * 127.0.0.1 later (DNS rebinding) is still refused; OUTBOUND_ALLOW_PRIVATE widens the policy to
 * local receivers but never to cloud metadata. Redirects are never followed: a 3xx is a failed
 * attempt like any other non-2xx.
 */
@Injectable()
export class OutboundClient implements OnApplicationShutdown {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly policy: AddressPolicy;

  constructor(private readonly config: DispatcherConfig) {
    this.policy = { allowPrivate: config.OUTBOUND_ALLOW_PRIVATE };
    // No per-host socket cap: concurrency is limited per subscription when deliveries are
    // claimed, and a cap here would queue a healthy subscription behind a hanging one on the same host.
    const options = {
      keepAlive: true,
      maxSockets: Infinity,
      maxFreeSockets: 256,
      lookup: guardedLookup(this.policy),
    };
    this.httpAgent = new http.Agent(options);
    this.httpsAgent = new https.Agent(options);
  }

  onApplicationShutdown(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** Why an endpoint cannot be used, or null. Resolves the host, so it may take a moment. */
  async endpointProblem(endpoint: string): Promise<string | null> {
    const url = parseEndpoint(endpoint);
    if (typeof url === 'string') return url;
    if (url.protocol === 'http:' && !this.config.OUTBOUND_ALLOW_HTTP) {
      return 'endpoint must use https (OUTBOUND_ALLOW_HTTP is off)';
    }
    const host = hostOf(url);
    const named = forbiddenHostReason(host);
    if (named) return `endpoint ${named}`;
    if (isIP(host)) {
      const reason = forbiddenAddressReason(host, this.policy);
      return reason ? `endpoint ${reason}` : null;
    }
    const addresses = await resolveAll(host).catch(() => [] as LookupAddress[]);
    const refused = refusedResolution(host, addresses, this.policy);
    return refused ? `endpoint host ${refused}` : null;
  }

  async post(endpoint: string, headers: Record<string, string>, body: string): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const url = parseEndpoint(endpoint);
      if (typeof url === 'string') throw new RefusedTarget(url);
      const problem = this.connectProblem(url);
      if (problem) throw new RefusedTarget(problem);
      const answer = await this.request(url, headers, body);
      return { ...answer, durationMs: elapsed(), error: null };
    } catch (error) {
      return {
        statusCode: null,
        durationMs: elapsed(),
        error: error instanceof Error ? error.message : String(error),
        responseBody: '',
        retryAfterMs: null,
      };
    }
  }

  /** What can be refused before connecting: the scheme, and a host that is an IP literal. */
  private connectProblem(url: URL): string | null {
    if (url.protocol === 'http:' && !this.config.OUTBOUND_ALLOW_HTTP) return 'http endpoints are not allowed';
    const host = hostOf(url);
    const reason =
      forbiddenHostReason(host) ?? (isIP(host) ? forbiddenAddressReason(host, this.policy) : null);
    return reason ? `refused: ${reason}` : null;
  }

  private request(
    url: URL,
    headers: Record<string, string>,
    body: string,
  ): Promise<Omit<AttemptResult, 'durationMs' | 'error'>> {
    const payload = Buffer.from(body, 'utf8');
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = transport.request(url, {
        method: 'POST',
        agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
        headers: { ...headers, 'content-length': String(payload.length) },
      });
      const timer = setTimeout(
        () => request.destroy(new Error(`no answer within ${this.config.DISPATCH_TIMEOUT} ms`)),
        this.config.DISPATCH_TIMEOUT,
      );
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let read = 0;
        const finish = () => {
          clearTimeout(timer);
          resolve({
            statusCode: response.statusCode ?? null,
            responseBody: Buffer.concat(chunks).subarray(0, LOGGED_BYTES).toString('utf8'),
            retryAfterMs: retryAfterOf(response),
          });
        };
        response.on('data', (chunk: Buffer) => {
          if (read < LOGGED_BYTES) chunks.push(chunk);
          read += chunk.length;
          // A long answer is not read to its end: the socket is dropped instead of reused.
          if (read > DRAINED_BYTES) {
            response.destroy();
            finish();
          }
        });
        response.on('end', finish);
        response.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
      request.end(payload);
    });
  }
}

function parseEndpoint(endpoint: string): URL | string {
  if (endpoint.length > MAX_ENDPOINT_LENGTH)
    return `endpoint must be at most ${MAX_ENDPOINT_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'endpoint must be an absolute URL';
  }
  // The URL parser silently drops tabs and line breaks ("…/x\r\nHost: evil" parses): refuse them
  // instead of storing and echoing an endpoint that is not the one that will be called.
  if ([...endpoint].some((c) => c <= ' ' || c === '\u007f'))
    return 'endpoint must not contain spaces or control characters';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'endpoint must be an http(s) URL';
  if (url.username || url.password) return 'endpoint must not carry credentials; use headers instead';
  if (url.hash) return 'endpoint must not have a #fragment';
  return url;
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

function resolveAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) =>
    dnsLookup(host, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );
}

/** "example.com resolves to 10.0.0.1, not a global unicast address (private)" for the first refused address, or null. */
function refusedResolution(host: string, addresses: LookupAddress[], policy: AddressPolicy): string | null {
  for (const { address } of addresses) {
    const refusal = addressRefusal(address, policy);
    if (refusal) return `${host} resolves to ${address}, ${refusal}`;
  }
  return null;
}

/** Resolves like the default lookup, then refuses the connection if any address is forbidden. */
function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    const named = forbiddenHostReason(hostname);
    if (named) return callback(new RefusedTarget(`refused: ${named}`), '', 0);
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = refusedResolution(hostname, addresses, policy);
      if (refused) return callback(new RefusedTarget(`refused: ${refused}`), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0]!;
      return callback(null, first.address, first.family);
    });
  };
}

/** `Retry-After` in seconds or as an HTTP date, honoured only where the spec gives it meaning. */
function retryAfterOf(response: http.IncomingMessage): number | null {
  if (response.statusCode !== 429 && response.statusCode !== 503) return null;
  const header = response.headers['retry-after'];
  if (!header) return null;
  if (/^\d+$/.test(header)) return Number(header) * 1_000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}
