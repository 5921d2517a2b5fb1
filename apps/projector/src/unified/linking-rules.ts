import { PROVIDERS } from '@hub/contracts';
import type { CountryCode } from 'libphonenumber-js';
import { getCountries } from 'libphonenumber-js';

/** The record kinds the engine links: a provider's customers, a provider's projects. */
export type UnifiedKind = 'customer' | 'project';
export const UNIFIED_KINDS: readonly UnifiedKind[] = ['customer', 'project'];

/** When a shared phone number links two customers. */
export type PhoneRule = 'unless_emails_differ' | 'always' | 'off';
export const PHONE_RULES: readonly PhoneRule[] = ['unless_emails_differ', 'always', 'off'];

/** How a merged field is chosen among the members that hold a value. */
export type ConflictPolicy = 'latest';

/**
 * Two projects are the same when `provider`'s `field` equals `other_provider`'s `other_field`
 * (top-level fields of the canonical documents, compared as trimmed text).
 */
export interface ReferenceRule {
  provider: string;
  field: string;
  other_provider: string;
  other_field: string;
}

/** A tenant's linking rules: data, stored in linking_rules, the defaults where it has no row. */
export interface LinkingRules {
  customer: {
    email: boolean;
    /** Strip `+tag` from an email's local part before comparing. */
    plus_addressing: boolean;
    phone: PhoneRule;
    /** ISO 3166 alpha-2 country of numbers written without a country code. */
    default_country: string;
  };
  project: {
    references: ReferenceRule[];
    /** Projects of linked customers are linked. Not applied yet: only false is accepted. */
    via_customer: boolean;
  };
  conflicts: {
    default: ConflictPolicy;
    /** Per merged field, providers in order of trust: the first with a value wins. */
    rank: Record<string, string[]>;
  };
}

/**
 * The defaults. OpenSolar's project `identifier` is mapped to the canonical `reference_number`
 * (apps/ingest/src/providers/opensolar), and Pylon Observer's designs carry theirs in the same
 * field: an installer typing the OpenSolar identifier into Pylon is how the two are tied.
 */
export function defaultLinkingRules(): LinkingRules {
  return {
    customer: { email: true, plus_addressing: false, phone: 'unless_emails_differ', default_country: 'US' },
    project: {
      references: [
        {
          provider: 'pylon-observer',
          field: 'reference_number',
          other_provider: 'opensolar',
          other_field: 'reference_number',
        },
      ],
      via_customer: false,
    },
    conflicts: { default: 'latest', rank: {} },
  };
}

/** Why rules were refused: each error names the field, e.g. `customer.phone: must be one of …`. */
export class InvalidLinkingRules extends Error {
  constructor(readonly errors: string[]) {
    super(`invalid linking rules: ${errors.join('; ')}`);
    this.name = 'InvalidLinkingRules';
  }
}

const FIELD_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const MAX_REFERENCE_RULES = 20;
const COUNTRIES = new Set<string>(getCountries());
const KNOWN_PROVIDERS = new Set<string>(PROVIDERS);

/** The errors of a rules document, each naming its field; empty when valid. */
export function linkingRulesErrors(input: unknown): string[] {
  const errors: string[] = [];
  if (!isObject(input)) return ['rules: must be an object'];
  onlyKeys(input, ['customer', 'project', 'conflicts'], 'rules', errors);
  customerErrors(input['customer'], errors);
  projectErrors(input['project'], errors);
  conflictErrors(input['conflicts'], errors);
  return errors;
}

/** The rules, typed, or InvalidLinkingRules naming every bad field. */
export function parseLinkingRules(input: unknown): LinkingRules {
  const errors = linkingRulesErrors(input);
  if (errors.length > 0) throw new InvalidLinkingRules(errors);
  return input as LinkingRules;
}

/** Rules as stored: a row written by an older version may lack a section, which takes the default. */
export function storedLinkingRules(stored: unknown): LinkingRules {
  const defaults = defaultLinkingRules();
  if (!isObject(stored)) return defaults;
  const merged = {
    customer: { ...defaults.customer, ...(isObject(stored['customer']) ? stored['customer'] : {}) },
    project: { ...defaults.project, ...(isObject(stored['project']) ? stored['project'] : {}) },
    conflicts: { ...defaults.conflicts, ...(isObject(stored['conflicts']) ? stored['conflicts'] : {}) },
  };
  return linkingRulesErrors(merged).length === 0 ? (merged as LinkingRules) : defaults;
}

function customerErrors(value: unknown, errors: string[]): void {
  if (!isObject(value)) {
    errors.push('customer: must be an object');
    return;
  }
  onlyKeys(value, ['email', 'plus_addressing', 'phone', 'default_country'], 'customer', errors);
  if (typeof value['email'] !== 'boolean') errors.push('customer.email: must be true or false');
  if (typeof value['plus_addressing'] !== 'boolean')
    errors.push('customer.plus_addressing: must be true or false');
  if (!PHONE_RULES.includes(value['phone'] as PhoneRule))
    errors.push(`customer.phone: must be one of ${PHONE_RULES.join(', ')}`);
  if (typeof value['default_country'] !== 'string' || !COUNTRIES.has(value['default_country']))
    errors.push('customer.default_country: must be an ISO 3166 alpha-2 country code, e.g. US');
}

function projectErrors(value: unknown, errors: string[]): void {
  if (!isObject(value)) {
    errors.push('project: must be an object');
    return;
  }
  onlyKeys(value, ['references', 'via_customer'], 'project', errors);
  if (value['via_customer'] !== false)
    errors.push(
      'project.via_customer: must be false (linking projects through customers is not supported yet)',
    );
  const references = value['references'];
  if (!Array.isArray(references) || references.length > MAX_REFERENCE_RULES) {
    errors.push(`project.references: must be an array of at most ${MAX_REFERENCE_RULES} rules`);
    return;
  }
  references.forEach((rule, index) => referenceErrors(rule, `project.references[${index}]`, errors));
}

function referenceErrors(rule: unknown, path: string, errors: string[]): void {
  if (!isObject(rule)) {
    errors.push(`${path}: must be an object`);
    return;
  }
  onlyKeys(rule, ['provider', 'field', 'other_provider', 'other_field'], path, errors);
  for (const key of ['provider', 'other_provider']) {
    if (!KNOWN_PROVIDERS.has(rule[key] as string))
      errors.push(`${path}.${key}: must be one of ${PROVIDERS.join(', ')}`);
  }
  for (const key of ['field', 'other_field']) {
    if (typeof rule[key] !== 'string' || !FIELD_NAME.test(rule[key]))
      errors.push(`${path}.${key}: must be a top-level field name ([a-z0-9_], up to 64)`);
  }
}

function conflictErrors(value: unknown, errors: string[]): void {
  if (!isObject(value)) {
    errors.push('conflicts: must be an object');
    return;
  }
  onlyKeys(value, ['default', 'rank'], 'conflicts', errors);
  if (value['default'] !== 'latest') errors.push('conflicts.default: must be latest');
  const rank = value['rank'];
  if (!isObject(rank)) {
    errors.push('conflicts.rank: must be an object of field → providers');
    return;
  }
  for (const [field, providers] of Object.entries(rank)) {
    const path = `conflicts.rank.${field}`;
    if (!FIELD_NAME.test(field)) errors.push(`${path}: must name a top-level field ([a-z0-9_], up to 64)`);
    if (
      !Array.isArray(providers) ||
      providers.length === 0 ||
      !providers.every((p) => KNOWN_PROVIDERS.has(p as string)) ||
      new Set(providers).size !== providers.length
    )
      errors.push(`${path}: must be a non-empty list of distinct providers (${PROVIDERS.join(', ')})`);
  }
}

function onlyKeys(value: Record<string, unknown>, allowed: string[], path: string, errors: string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) errors.push(`${path}.${key}: is not a known rule`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The country as libphonenumber-js types it; validated above. */
export function phoneCountry(rules: LinkingRules): CountryCode {
  return rules.customer.default_country as CountryCode;
}
