import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { percentile } from './system-load.js';
import { now } from './workload.js';

/** What an OTLP sink received: export requests, their bytes as sent, and the spans in them. */
export interface ExportCounts {
  requests: number;
  bytes: number;
  spans: number;
  /** Requests whose body could not be read as OTLP traces (still answered 200). */
  unreadable: number;
}

/**
 * An OTLP/HTTP trace receiver in the bench process: takes POST /v1/traces, answers 200 with an
 * empty export response, and counts requests, bytes and spans. Reads both encodings the SDK
 * offers (http/protobuf, its default, and http/json), gzipped or not; it keeps nothing else, so
 * its own cost stays small beside the apps it measures.
 */
export class OtlpSink {
  private readonly counts: ExportCounts = { requests: 0, bytes: 0, spans: 0, unreadable: 0 };
  private server!: http.Server;

  static async start(): Promise<OtlpSink> {
    const sink = new OtlpSink();
    sink.server = http.createServer((request, response) => sink.receive(request, response));
    await new Promise<void>((resolve) => sink.server.listen(0, '127.0.0.1', resolve));
    return sink;
  }

  /** The value of OTEL_EXPORTER_OTLP_ENDPOINT: the SDK appends /v1/traces. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  snapshot(): ExportCounts {
    return { ...this.counts };
  }

  /** What arrived since `before` (a snapshot). */
  since(before: ExportCounts): ExportCounts {
    return {
      requests: this.counts.requests - before.requests,
      bytes: this.counts.bytes - before.bytes,
      spans: this.counts.spans - before.spans,
      unreadable: this.counts.unreadable - before.unreadable,
    };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private receive(request: http.IncomingMessage, response: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      const body = Buffer.concat(chunks);
      const json = (request.headers['content-type'] ?? '').includes('json');
      this.counts.requests++;
      this.counts.bytes += body.length;
      try {
        const plain = request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
        this.counts.spans += json ? jsonSpans(plain) : protobufSpans(plain);
      } catch {
        this.counts.unreadable++;
      }
      response
        .writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' })
        .end(json ? '{}' : '');
    });
  }
}

interface JsonTraces {
  resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: unknown[] }> }>;
}

function jsonSpans(body: Buffer): number {
  const traces = JSON.parse(body.toString('utf8')) as JsonTraces;
  let spans = 0;
  for (const resource of traces.resourceSpans ?? []) {
    for (const scope of resource.scopeSpans ?? []) spans += scope.spans?.length ?? 0;
  }
  return spans;
}

/**
 * Spans in an ExportTraceServiceRequest: resource_spans (1) → scope_spans (2) → spans (2),
 * counted by walking the protobuf wire format, so no generated code is needed.
 */
export function protobufSpans(body: Uint8Array): number {
  let spans = 0;
  for (const resource of embedded(body, 1)) {
    for (const scope of embedded(resource, 2)) spans += embedded(scope, 2).length;
  }
  return spans;
}

/** The length-delimited fields numbered `wanted` of one protobuf message; others are skipped. */
function embedded(message: Uint8Array, wanted: number): Uint8Array[] {
  const found: Uint8Array[] = [];
  let at = 0;
  while (at < message.length) {
    const [key, afterKey] = varint(message, at);
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (wireType === 0) at = varint(message, afterKey)[1];
    else if (wireType === 1) at = afterKey + 8;
    else if (wireType === 5) at = afterKey + 4;
    else if (wireType === 2) {
      const [length, start] = varint(message, afterKey);
      if (field === wanted) found.push(message.subarray(start, start + length));
      at = start + length;
    } else throw new Error(`protobuf wire type ${wireType} is not one OTLP uses`);
  }
  return found;
}

function varint(bytes: Uint8Array, from: number): [value: number, next: number] {
  let value = 0;
  for (let at = from, shift = 0; at < bytes.length; at++, shift += 7) {
    const byte = bytes[at]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at + 1];
  }
  throw new Error('protobuf varint runs past the end');
}

/** One app's scrapes over a run. */
export interface ScrapeFigures {
  scrapes: number;
  failures: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  /** Size of the last successful scrape's exposition text. */
  bytes?: number;
}

const SCRAPE_TIMEOUT_MS = 1_000;

/**
 * Scrapes GET /metrics on each target every second, as Prometheus would (keep-alive, a scrape
 * still running when the next is due is not doubled; one over a second counts as failed).
 */
export class MetricsScraper {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly latencies: Record<string, number[]> = {};
  private readonly stats: Record<string, { failures: number; bytes?: number; busy: boolean }> = {};
  private timer: NodeJS.Timeout | undefined;

  /** `targets`: each app's base URL, by name. */
  constructor(private readonly targets: Record<string, string>) {
    for (const name of Object.keys(targets)) {
      this.latencies[name] = [];
      this.stats[name] = { failures: 0, busy: false };
    }
  }

  start(): void {
    this.timer = setInterval(() => {
      for (const name of Object.keys(this.targets)) void this.scrape(name);
    }, 1_000);
  }

  /** Stops scraping one target (before its app is stopped: a stopped app is not a failed scrape). */
  drop(name: string): void {
    delete this.targets[name];
  }

  stop(): void {
    clearInterval(this.timer);
    this.agent.destroy();
  }

  figures(): Record<string, ScrapeFigures> {
    return Object.fromEntries(
      Object.entries(this.latencies).map(([name, values]) => {
        const { failures, bytes } = this.stats[name]!;
        const figures: ScrapeFigures = {
          scrapes: values.length,
          failures,
          ...(values.length > 0
            ? {
                p50Ms: percentile(values, 50)!,
                p99Ms: percentile(values, 99)!,
                maxMs: Math.max(...values),
              }
            : {}),
          ...(bytes === undefined ? {} : { bytes }),
        };
        return [name, figures];
      }),
    );
  }

  private async scrape(name: string): Promise<void> {
    const stats = this.stats[name]!;
    if (stats.busy) return;
    stats.busy = true;
    const started = now();
    const answer = await this.get(`${this.targets[name]}/metrics`);
    stats.busy = false;
    if (answer === undefined) {
      stats.failures++;
      return;
    }
    this.latencies[name]!.push(now() - started);
    stats.bytes = answer;
  }

  /** The body's length of a 200 answer, undefined for anything else. */
  private get(url: string): Promise<number | undefined> {
    return new Promise((resolve) => {
      const request = http.get(url, { agent: this.agent, timeout: SCRAPE_TIMEOUT_MS }, (response) => {
        let bytes = 0;
        response.on('data', (chunk: Buffer) => (bytes += chunk.length));
        response.on('end', () => resolve(response.statusCode === 200 ? bytes : undefined));
        response.on('error', () => resolve(undefined));
      });
      request.on('timeout', () => request.destroy());
      request.on('error', () => resolve(undefined));
    });
  }
}
