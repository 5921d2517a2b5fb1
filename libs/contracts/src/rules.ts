import { isISO8601 } from 'class-validator';
import { isRecord, type FieldRule } from './contract.js';

/** Field rules that several messages share, so one field means one thing on every topic. */

export function exactly(expected: string | number | boolean): FieldRule {
  return { test: (value) => value === expected, says: `must be ${String(expected)}` };
}

export function matching(pattern: RegExp, says: string): FieldRule {
  return { test: (value) => typeof value === 'string' && pattern.test(value), says };
}

export function oneOf(allowed: readonly string[]): FieldRule {
  return {
    test: (value) => typeof value === 'string' && allowed.includes(value),
    says: `must be one of ${allowed.join(', ')}`,
  };
}

/** Absent, or passing `rule`. */
export function optional(rule: FieldRule): FieldRule {
  return { test: (value) => value === undefined || rule.test(value), says: `${rule.says} when present` };
}

export const TEXT: FieldRule = { test: (value) => typeof value === 'string', says: 'must be a string' };

export const TEXT_OR_NULL: FieldRule = {
  test: (value) => value === null || typeof value === 'string',
  says: 'must be a string or null',
};

export const INTEGER: FieldRule = {
  test: (value) => Number.isSafeInteger(value),
  says: 'must be an integer',
};

export const OBJECT: FieldRule = { test: isRecord, says: 'must be an object' };

export const STRING_MAP: FieldRule = {
  test: (value) => isRecord(value) && Object.values(value).every((each) => typeof each === 'string'),
  says: 'must be an object of strings',
};

export const STRING_LIST: FieldRule = {
  test: (value) => Array.isArray(value) && value.every((each) => typeof each === 'string'),
  says: 'must be an array of strings',
};

/**
 * ISO 8601, as every time we write is (toISOString, or storableTime of the provider's). Both
 * topics with times check it the same way; the state-changes topic used to accept whatever
 * Date.parse reads, but only ever carried times that passed this rule on the canonical topic.
 */
export const ISO_TIME: FieldRule = { test: (value) => isISO8601(value), says: 'must be an ISO 8601 time' };

/**
 * Any UUID, in any case: tenant ids are Postgres UUIDs. The widest of the two rules there were
 * (class-validator's isUUID refused versions it did not know), so no stored message is refused.
 */
export const UUID: FieldRule = matching(
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  'must be a UUID',
);

/**
 * Every id we put on a message: canonical events, raw deliveries, state changes and operational
 * events all take theirs from deterministicEventId, and always have, so every message ever
 * published has this form. The state-changes topic used to allow `[A-Za-z0-9_:.-]{1,200}`, a rule
 * no producer needed; one rule means an id valid on one topic is valid on the next.
 */
export const EVENT_ID: FieldRule = matching(
  /^evt_[0-9a-f]{32}$/,
  'must be an event id (evt_ and 32 hex digits)',
);

export const EVENT_TYPE: FieldRule = matching(
  /^[A-Za-z0-9._-]{1,100}$/,
  'must be an event type (1 to 100 of A-Z a-z 0-9 . _ -)',
);

/** A canonical entity id, `provider:external id` (canonicalEntityId): what canonical events are about. */
export const ENTITY_SUBJECT: FieldRule = matching(
  /^[a-z-]+:.{1,300}$/,
  'must be an entity id (provider:external id, at most 300 characters after the colon)',
);

/** A subscription's id, as the dispatcher makes them: what its operational events are about. */
export const SUBSCRIPTION_ID = /^sub_[A-Za-z0-9_-]{1,64}$/;
