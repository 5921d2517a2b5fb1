import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  defaultLinkingRules,
  InvalidLinkingRules,
  linkingRulesErrors,
  parseLinkingRules,
  storedLinkingRules,
} from './linking-rules.js';

test('the defaults are valid rules', () => {
  assert.deepEqual(linkingRulesErrors(defaultLinkingRules()), []);
  assert.deepEqual(defaultLinkingRules().customer, {
    email: true,
    plus_addressing: false,
    phone: 'unless_emails_differ',
    default_country: 'US',
  });
});

test('each error names the bad field', () => {
  const rules = defaultLinkingRules() as unknown as Record<string, Record<string, unknown>>;
  rules['customer']!['phone'] = 'sometimes';
  rules['customer']!['default_country'] = 'XX';
  rules['project']!['references'] = [{ provider: 'nobody', field: 'Bad Field', other_provider: 'opensolar' }];
  rules['conflicts']!['rank'] = { email: ['opensolar', 'opensolar'] };
  rules['conflicts']!['extra'] = 1;
  const errors = linkingRulesErrors(rules);
  for (const field of [
    'customer.phone',
    'customer.default_country',
    'project.references[0].provider',
    'project.references[0].field',
    'project.references[0].other_field',
    'conflicts.rank.email',
    'conflicts.extra',
  ])
    assert.ok(
      errors.some((e) => e.startsWith(`${field}:`)),
      `${field} in ${errors.join('; ')}`,
    );
  assert.throws(() => parseLinkingRules(rules), InvalidLinkingRules);
});

test('linking projects through customers is refused until it is applied', () => {
  const rules = defaultLinkingRules();
  rules.project.via_customer = true;
  assert.match(linkingRulesErrors(rules).join(), /project\.via_customer/);
});

test('stored rules missing a section take its defaults; unreadable ones are the defaults', () => {
  assert.deepEqual(storedLinkingRules(undefined), defaultLinkingRules());
  const partial = storedLinkingRules({ customer: { plus_addressing: true } });
  assert.equal(partial.customer.plus_addressing, true);
  assert.equal(partial.customer.email, true);
  assert.deepEqual(storedLinkingRules({ customer: { phone: 'bad' } }), defaultLinkingRules());
});
