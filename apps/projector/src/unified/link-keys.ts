import { phoneCountry, type LinkingRules, type UnifiedKind } from './linking-rules.js';
import { normaliseEmail, normalisePhone, normaliseReference } from './normalise.js';

/** A record as the engine sees it: its id, provider and canonical document. */
export interface LinkableRecord {
  id: string;
  provider: string;
  document: Record<string, unknown>;
}

export const EMAIL_KEY = 'email:';
export const PHONE_KEY = 'phone:';
export const REFERENCE_KEY = 'ref:';

/**
 * The normalised match keys of a record under the rules: `email:jane@example.com`,
 * `phone:+14155550100`, `ref:<rule index>:<value>`. Two records sharing a key are candidates;
 * whether they link is the components' decision (the phone rule looks at both records' emails).
 */
export function linkKeys(kind: UnifiedKind, record: LinkableRecord, rules: LinkingRules): string[] {
  const keys = kind === 'customer' ? customerKeys(record, rules) : projectKeys(record, rules);
  return [...new Set(keys)].sort();
}

function customerKeys(record: LinkableRecord, rules: LinkingRules): string[] {
  const keys: string[] = [];
  // The email key is also what the phone rule compares, so it is kept even with email linking off.
  const email = normaliseEmail(record.document['email'], rules.customer.plus_addressing);
  if (email) keys.push(`${EMAIL_KEY}${email}`);
  if (rules.customer.phone !== 'off') {
    const phone = normalisePhone(record.document['phone'], phoneCountry(rules));
    if (phone) keys.push(`${PHONE_KEY}${phone}`);
  }
  return keys;
}

/** A reference rule's key names its index, so two rules' values never meet. */
function projectKeys(record: LinkableRecord, rules: LinkingRules): string[] {
  const keys: string[] = [];
  rules.project.references.forEach((rule, index) => {
    const fields: string[] = [];
    if (record.provider === rule.provider) fields.push(rule.field);
    if (record.provider === rule.other_provider) fields.push(rule.other_field);
    for (const field of fields) {
      const value = normaliseReference(record.document[field]);
      if (value) keys.push(`${REFERENCE_KEY}${index}:${value}`);
    }
  });
  return keys;
}

/** The record's normalised email, read back from its keys (the phone rule compares them). */
export function emailOfKeys(keys: readonly string[]): string | null {
  const key = keys.find((k) => k.startsWith(EMAIL_KEY));
  return key ? key.slice(EMAIL_KEY.length) : null;
}
