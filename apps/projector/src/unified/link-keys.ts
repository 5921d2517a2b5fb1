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
/** A project's customer (`cust:opensolar:8812`), stored; with via_customer on. */
export const CUSTOMER_KEY = 'cust:';
/**
 * That customer's unified record (`cgrp:unified:cus_…`): what the components compare, made from
 * the stored `cust:` keys when groups are computed, since customer groups change apart from projects.
 */
export const CUSTOMER_GROUP_KEY = 'cgrp:';

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
  if (rules.project.via_customer) keys.push(...projectCustomerKeys(record));
  return keys;
}

/** A project's customers, as its document names them (OpenSolar's `customers`: record ids). */
function projectCustomerKeys(record: LinkableRecord): string[] {
  const customers = record.document['customers'];
  if (!Array.isArray(customers)) return [];
  return customers
    .filter((id): id is string => typeof id === 'string' && id !== '' && !id.includes('\u0000'))
    .map((id) => `${CUSTOMER_KEY}${id}`);
}

/** The record's normalised email, read back from its keys (the phone rule compares them). */
export function emailOfKeys(keys: readonly string[]): string | null {
  const key = keys.find((k) => k.startsWith(EMAIL_KEY));
  return key ? key.slice(EMAIL_KEY.length) : null;
}
