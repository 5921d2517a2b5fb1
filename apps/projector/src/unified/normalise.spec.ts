import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultLinkingRules } from './linking-rules.js';
import { linkKeys } from './link-keys.js';
import { normaliseEmail, normalisePhone, normaliseReference } from './normalise.js';

test('an email is trimmed and lower-cased; plus addressing keeps the tag unless it is on', () => {
  assert.equal(normaliseEmail(' Jane@Example.COM ', false), 'jane@example.com');
  assert.equal(normaliseEmail('Jane+x@Example.com ', false), 'jane+x@example.com');
  assert.notEqual(normaliseEmail('Jane+x@Example.com ', false), normaliseEmail('jane@example.com', false));
  assert.equal(normaliseEmail('Jane+x@Example.com ', true), 'jane@example.com');
  assert.equal(normaliseEmail('+x@example.com', true), '+x@example.com');
});

test('what is no email gives none', () => {
  for (const raw of [null, undefined, 42, '', '   ', 'jane', '@example.com', 'jane@', 'ja\u0000ne@x.com'])
    assert.equal(normaliseEmail(raw, false), null, String(raw));
});

test('a phone number is E.164, read in the default country when it has no country code', () => {
  assert.equal(normalisePhone('(415) 555-0100', 'US'), '+14155550100');
  assert.equal(normalisePhone('+1 415 555 0100', 'US'), '+14155550100');
  assert.equal(normalisePhone('+1 415 555 0100', 'GB'), '+14155550100');
  assert.equal(normalisePhone('020 7946 0018', 'GB'), '+442079460018');
});

test('an invalid phone number gives no number, so it links nobody', () => {
  for (const raw of ['12', 'call me', '', '555-0100-0000-99', null, 4155550100])
    assert.equal(normalisePhone(raw, 'US'), null, String(raw));
});

test('a reference is trimmed text, numbers included', () => {
  assert.equal(normaliseReference(' OS-1001 '), 'OS-1001');
  assert.equal(normaliseReference(1001), '1001');
  assert.equal(normaliseReference('  '), null);
  assert.equal(normaliseReference(null), null);
});

test("a customer's keys under the default rules: email and E.164 phone", () => {
  const keys = linkKeys(
    'customer',
    {
      id: 'opensolar:1',
      provider: 'opensolar',
      document: { email: 'Jane@Example.com', phone: '415-555-0100' },
    },
    defaultLinkingRules(),
  );
  assert.deepEqual(keys, ['email:jane@example.com', 'phone:+14155550100']);
});

test("a project's keys: the reference rule's field on each side, named by the rule's index", () => {
  const rules = defaultLinkingRules();
  const pylon = {
    id: 'pylon-observer:p1',
    provider: 'pylon-observer',
    document: { reference_number: 'R-7' },
  };
  const opensolar = { id: 'opensolar:9', provider: 'opensolar', document: { reference_number: ' R-7' } };
  const other = { id: 'solarproof:9', provider: 'solarproof', document: { reference_number: 'R-7' } };
  assert.deepEqual(linkKeys('project', pylon, rules), ['ref:0:R-7']);
  assert.deepEqual(linkKeys('project', opensolar, rules), ['ref:0:R-7']);
  assert.deepEqual(linkKeys('project', other, rules), []);
});
