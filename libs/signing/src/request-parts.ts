import { verifyFailure, type InboundRequest, type VerifyFailure } from './verify-result.js';

/** Node rejects a request whose headers together exceed 16 KiB, so no single valid header is longer. */
export const MAX_HEADER_LENGTH = 16 * 1024;

export type ReadResult = { ok: true; value: string } | VerifyFailure;

/**
 * One header's single value. Names match case-insensitively because callers build header maps by
 * hand as well as from Node. A header sent twice is ambiguous (which copy was signed?), so it fails.
 */
export function readSingleHeader(request: InboundRequest, name: string): ReadResult {
  const values = headerValuesNamed(request, name);
  if (values.length === 0) return verifyFailure('missing', `header ${name} is missing`);
  if (values.length > 1) return verifyFailure('malformed', `header ${name} is sent more than once`);
  return checkedValue(values[0] ?? '', `header ${name}`);
}

function headerValuesNamed(request: InboundRequest, name: string): string[] {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const [key, value] of Object.entries(request.headers ?? {})) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    if (Array.isArray(value)) values.push(...value);
    else values.push(value);
  }
  return values;
}

/** The query parameter's single string value; repeated (`?token=a&token=b`) or nested ones fail. */
export function readSingleQueryParam(request: InboundRequest, name: string): ReadResult {
  const value: unknown = request.query?.[name];
  if (value === undefined) return verifyFailure('missing', `query parameter ${name} is missing`);
  if (typeof value !== 'string') {
    return verifyFailure(
      'malformed',
      `query parameter ${name} must be given exactly once, as a plain string`,
    );
  }
  return checkedValue(value, `query parameter ${name}`);
}

function checkedValue(value: unknown, label: string): ReadResult {
  if (typeof value !== 'string') return verifyFailure('malformed', `${label} is not a string`);
  // An empty value is what a misconfigured sender produces; reporting it as missing says so.
  if (value.trim() === '') return verifyFailure('missing', `${label} is empty`);
  if (value.length > MAX_HEADER_LENGTH) {
    return verifyFailure('malformed', `${label} is longer than ${MAX_HEADER_LENGTH} characters`);
  }
  return { ok: true, value };
}

export type BodyResult = { ok: true; body: Buffer } | VerifyFailure;

/** The raw body; absent when the framework parsed it without keeping the bytes (e.g. Nest without rawBody). */
export function readRawBody(request: InboundRequest): BodyResult {
  if (!Buffer.isBuffer(request.body)) {
    return verifyFailure('malformed', 'the raw request body is not available as bytes');
  }
  return { ok: true, body: request.body };
}
