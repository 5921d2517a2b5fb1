import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inboundRequest } from '../inbound-request.testing.js';
import { signCustomHeader, verifyCustomHeader, type CustomHeaderCredential } from './custom-header.scheme.js';

const credential: CustomHeaderCredential = { headerName: 'Authorization', value: 'Bearer os_live_7Yc' };
const body = Buffer.from('{"project":42}');

function reasonOf(result: ReturnType<typeof verifyCustomHeader>): string {
  return result.ok ? 'ok' : result.reason;
}

describe('custom-header', () => {
  test('round trip: what sign produces, verify accepts', () => {
    assert.deepEqual(verifyCustomHeader(credential, inboundRequest(signCustomHeader(credential), body)), {
      ok: true,
    });
  });

  test('sign sets exactly the configured header to the configured value', () => {
    assert.deepEqual(signCustomHeader(credential), { Authorization: 'Bearer os_live_7Yc' });
  });

  test('the header name matches case-insensitively, in the request and in the configuration', () => {
    const request = inboundRequest({ authorization: 'Bearer os_live_7Yc' }, body);
    assert.deepEqual(verifyCustomHeader(credential, request), { ok: true });
    assert.deepEqual(verifyCustomHeader({ ...credential, headerName: 'AUTHORIZATION' }, request), {
      ok: true,
    });
  });

  test('the value must match exactly: case, whitespace and length all count', () => {
    for (const value of [
      'bearer os_live_7Yc',
      'Bearer os_live_7Yc ',
      'Bearer os_live_7Y',
      'Bearer os_live_7Yc2',
      'x',
    ]) {
      assert.equal(
        reasonOf(verifyCustomHeader(credential, inboundRequest({ authorization: value }, body))),
        'mismatch',
      );
    }
  });

  test('a wrong configured value is a mismatch; the header missing is missing', () => {
    const request = inboundRequest({ authorization: 'Bearer os_live_7Yc' }, body);
    assert.equal(reasonOf(verifyCustomHeader({ ...credential, value: 'Bearer other' }, request)), 'mismatch');
    assert.equal(
      reasonOf(verifyCustomHeader(credential, inboundRequest({ 'x-other': 'v' }, body))),
      'missing',
    );
    // Right value in another header is not enough.
    const elsewhere = inboundRequest({ 'x-api-key': 'Bearer os_live_7Yc' }, body);
    assert.equal(reasonOf(verifyCustomHeader(credential, elsewhere)), 'missing');
  });

  test('garbage does not throw; an empty configured value never matches', () => {
    const duplicated = inboundRequest({ authorization: ['Bearer os_live_7Yc', 'Bearer os_live_7Yc'] }, body);
    assert.equal(reasonOf(verifyCustomHeader(credential, duplicated)), 'malformed');
    const huge = inboundRequest({ authorization: 'B'.repeat(1_000_000) }, body);
    assert.equal(reasonOf(verifyCustomHeader(credential, huge)), 'malformed');
    const empty = inboundRequest({ authorization: '' }, body);
    assert.equal(reasonOf(verifyCustomHeader({ ...credential, value: '' }, empty)), 'mismatch');
    assert.throws(() => signCustomHeader({ headerName: 'Bad Header', value: 'v' }), TypeError);
    assert.throws(() => signCustomHeader({ headerName: 'X-Ok', value: '' }), TypeError);
  });
});
