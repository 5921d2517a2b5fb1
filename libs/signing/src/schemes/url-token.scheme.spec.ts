import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inboundRequest } from '../inbound-request.testing.js';
import { appendUrlToken, signUrlToken, verifyUrlToken } from './url-token.scheme.js';

const secret = 'sp_Tq7-x';
const body = Buffer.from('{"proof":1}');

function reasonOf(result: ReturnType<typeof verifyUrlToken>): string {
  return result.ok ? 'ok' : result.reason;
}

const requestWithQuery = (query?: Record<string, unknown>) => inboundRequest({}, body, query);

describe('url-token', () => {
  test('round trip: the query sign produces, verify accepts', () => {
    assert.deepEqual(verifyUrlToken(secret, requestWithQuery(signUrlToken(secret))), { ok: true });
  });

  test('round trip through a real URL, as Node parses it back', () => {
    const awkward = 'a b+c&d=/?#é';
    const url = new URL(appendUrlToken('https://hooks.example.test/in?source=7', awkward));
    const query = Object.fromEntries(url.searchParams);
    assert.deepEqual(query, { source: '7', token: awkward });
    assert.deepEqual(verifyUrlToken(awkward, requestWithQuery(query)), { ok: true });
  });

  test('sign is the literal token parameter; appendUrlToken encodes and replaces it', () => {
    assert.deepEqual(signUrlToken('sp_Tq7-x'), { token: 'sp_Tq7-x' });
    assert.equal(appendUrlToken('https://h.test/in?a=1', 'a b+c'), 'https://h.test/in?a=1&token=a+b%2Bc');
    assert.equal(appendUrlToken('https://h.test/in?token=old', 'new'), 'https://h.test/in?token=new');
  });

  test('a wrong token is a mismatch; no query or no token is missing', () => {
    assert.equal(reasonOf(verifyUrlToken(secret, requestWithQuery({ token: 'sp_Tq7-y' }))), 'mismatch');
    assert.equal(reasonOf(verifyUrlToken('other', requestWithQuery({ token: secret }))), 'mismatch');
    assert.equal(reasonOf(verifyUrlToken(secret, requestWithQuery())), 'missing');
    assert.equal(reasonOf(verifyUrlToken(secret, requestWithQuery({ Token: secret }))), 'missing');
  });

  test('the token in a header instead of the query is not accepted', () => {
    assert.equal(reasonOf(verifyUrlToken(secret, inboundRequest({ token: secret }, body))), 'missing');
  });

  test('garbage does not throw: repeated, nested, non-string, huge tokens; empty secret', () => {
    for (const token of [[secret, secret], [secret], { '0': secret }, 42, null]) {
      assert.equal(reasonOf(verifyUrlToken(secret, requestWithQuery({ token }))), 'malformed');
    }
    assert.equal(
      reasonOf(verifyUrlToken(secret, requestWithQuery({ token: 't'.repeat(1_000_000) }))),
      'malformed',
    );
    assert.equal(reasonOf(verifyUrlToken('', requestWithQuery({ token: '' }))), 'mismatch');
    assert.throws(() => signUrlToken(''), TypeError);
  });
});
