import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_HEADER_LENGTH, readRawBody, readSingleHeader, readSingleQueryParam } from './request-parts.js';
import type { InboundRequest } from './verify-result.js';

const request = (headers: InboundRequest['headers'], query?: Record<string, unknown>): InboundRequest => ({
  headers,
  body: Buffer.from('{}'),
  ...(query ? { query } : {}),
});

describe('readSingleHeader', () => {
  test('finds a header whatever the case of either name', () => {
    assert.deepEqual(readSingleHeader(request({ 'x-a': 'one' }), 'X-A'), { ok: true, value: 'one' });
    assert.deepEqual(readSingleHeader(request({ 'X-A': 'one' }), 'x-a'), { ok: true, value: 'one' });
  });

  test('an absent, undefined or empty header is missing', () => {
    assert.equal(readSingleHeader(request({}), 'x-a').ok, false);
    for (const headers of [{}, { 'x-a': undefined }, { 'x-a': '' }, { 'x-a': '  ' }, { 'x-a': [] }]) {
      const result = readSingleHeader(request(headers), 'x-a');
      assert.equal(!result.ok && result.reason, 'missing', JSON.stringify(headers));
    }
  });

  test('a header sent twice is malformed, as an array or under two spellings', () => {
    for (const headers of [{ 'x-a': ['one', 'two'] }, { 'x-a': 'one', 'X-A': 'two' }]) {
      const result = readSingleHeader(request(headers), 'x-a');
      assert.equal(!result.ok && result.reason, 'malformed');
    }
  });

  test('a single-element array is that one value', () => {
    assert.deepEqual(readSingleHeader(request({ 'x-a': ['one'] }), 'x-a'), { ok: true, value: 'one' });
  });

  test('an oversized header is malformed', () => {
    const result = readSingleHeader(request({ 'x-a': 'a'.repeat(MAX_HEADER_LENGTH + 1) }), 'x-a');
    assert.equal(!result.ok && result.reason, 'malformed');
  });
});

describe('readSingleQueryParam', () => {
  test('reads a plain string, rejects repeated or nested values', () => {
    assert.deepEqual(readSingleQueryParam(request({}, { token: 't' }), 'token'), { ok: true, value: 't' });
    for (const token of [['a', 'b'], { nested: 'x' }, 42]) {
      const result = readSingleQueryParam(request({}, { token }), 'token');
      assert.equal(!result.ok && result.reason, 'malformed');
    }
  });

  test('no query at all, or no such parameter, is missing', () => {
    for (const query of [undefined, {}]) {
      const result = readSingleQueryParam(request({}, query), 'token');
      assert.equal(!result.ok && result.reason, 'missing');
    }
  });
});

describe('readRawBody', () => {
  test('a body that is not bytes is malformed', () => {
    for (const body of [undefined, '{}', { parsed: true }]) {
      const result = readRawBody({ headers: {}, body: body as unknown as Buffer });
      assert.equal(!result.ok && result.reason, 'malformed');
    }
  });
});
