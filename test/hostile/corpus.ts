import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The hostile-input corpus (test/hostile/corpus/*.json) is data: one file per provider's ingest
 * endpoint and one per app's management API. This module reads it and says what each field means;
 * hostile-requests.ts turns an entry into the bytes that go on the wire.
 */

/** A header value too long to write out in the corpus file. */
export interface RepeatedValue {
  prefix?: string;
  repeat: string;
  times: number;
}

export type BodyGenerator =
  /** `open` × depth, `inner`, `close` × depth (10,000 levels of nesting), put in `template` at `{nested}`. */
  | { kind: 'nested'; depth: number; open: string; close: string; inner: string; template?: string }
  /** `template` with `{pad}` replaced by enough `pad` (default "x") to make `bytes` bytes. */
  | { kind: 'padded'; bytes: number; template: string; pad?: string };

export interface CorpusEntry {
  name: string;
  method: string;
  /**
   * Placeholders: `{source}` (this provider's source, or any source of the tenant for the
   * management API), `{other_tenant_source}` (the same provider's source of another tenant),
   * `{subscription}` (a subscription of the tenant).
   */
  path: string;
  /** Merged over the defaults (the provider's signed headers, or the API key and JSON type); null removes one. */
  headers?: Record<string, string | RepeatedValue | null>;
  /** The body as text; for ingest, `TRUNCATED` is the provider's valid body cut in half. */
  body?: string;
  /** For bytes that are not UTF-8. */
  body_base64?: string;
  generate?: BodyGenerator;
  /**
   * Ingest only: how the request is authenticated (see SIGNING_MISTAKES); `valid` signs exactly
   * the body sent. Absent on management entries, which carry the tenant's API key.
   */
  auth?: string;
  /** A whole HTTP/1.1 request sent over a bare socket, for bytes node:http refuses to send. */
  raw?: string;
  /** A status, or `4xx` for "any client error". */
  expect: number | '4xx';
  /** For a 200: the answer's `data` must be empty (an SQL string matched nothing). */
  empty?: boolean;
  /**
   * Ingest, for a 200: a verified JSON object the adapter cannot map, answered
   * `{"accepted": 0, "unmapped": true, …}` and kept on the raw topic only (never canonical).
   */
  unmapped?: boolean;
  /**
   * Node's HTTP parser may answer this itself (400 for malformed HTTP, 431 for oversized headers)
   * before the app sees it: such an answer has no body, so no problem+json is required.
   */
  node?: boolean;
}

export interface CorpusFile {
  file: string;
  /** Set on the ingest files: the provider whose endpoint the entries hit. */
  provider?: string;
  /** Set on the management files: the app whose API the entries hit. */
  app?: 'ingest' | 'projector' | 'dispatcher';
  entries: CorpusEntry[];
}

const CORPUS_DIR = path.resolve('test/hostile/corpus');

export function loadCorpus(): CorpusFile[] {
  return readdirSync(CORPUS_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((file) => {
      const parsed = JSON.parse(readFileSync(path.join(CORPUS_DIR, file), 'utf8')) as Omit<
        CorpusFile,
        'file'
      >;
      return { file, ...parsed };
    });
}

export function generateBody(generator: BodyGenerator): string {
  if (generator.kind === 'nested') {
    const nested =
      generator.open.repeat(generator.depth) + generator.inner + generator.close.repeat(generator.depth);
    return (generator.template ?? '{nested}').replace('{nested}', nested);
  }
  const fixed = generator.template.replace('{pad}', '');
  const padding = (generator.pad ?? 'x').repeat(Math.max(0, generator.bytes - Buffer.byteLength(fixed)));
  return generator.template.replace('{pad}', padding);
}

export function headerValue(value: string | RepeatedValue): string {
  return typeof value === 'string' ? value : (value.prefix ?? '') + value.repeat.repeat(value.times);
}

/** Whether `status` is what the entry expects. */
export function matchesExpectation(entry: CorpusEntry, status: number): boolean {
  return entry.expect === '4xx' ? status >= 400 && status < 500 : status === entry.expect;
}
