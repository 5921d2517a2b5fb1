import {
  Equals,
  equals,
  IsIn,
  isIn,
  IsISO8601,
  isISO8601,
  IsObject,
  isObject,
  IsString,
  isString,
  IsUUID,
  isUUID,
  Matches,
  matches,
  validateSync,
} from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { PROVIDERS, type ProviderId } from './providers.js';

const SPEC_VERSION = '1.0';
const EVENT_ID = /^evt_[0-9a-f]{32}$/;
const EVENT_TYPE = /^[A-Za-z0-9._-]{1,100}$/;
const SUBJECT = /^[a-z-]+:.{1,300}$/;

/** What a consumer checks a canonical event against before acting on it. */
export class CanonicalEventMessage {
  @Equals(SPEC_VERSION)
  specversion: '1.0';

  @Matches(EVENT_ID)
  id: string;

  @IsString()
  source: string;

  @Matches(EVENT_TYPE)
  type: string;

  @Matches(SUBJECT)
  subject: string;

  @IsISO8601()
  time: string;

  @IsUUID()
  tenant: string;

  @IsIn(PROVIDERS)
  provider: ProviderId;

  @IsObject()
  data: Record<string, unknown>;
}

/**
 * Whether `body` passes every rule of CanonicalEventMessage, through the same check functions its
 * decorators run. validateSync over plainToInstance deep-copies `data` and walks metadata for
 * every message, which costs more than applying the event; a consumer calls this first and runs
 * validateSync only for the messages it rejects, to describe why. Kept beside the class so the
 * two lists of rules change together (canonical-event.dto.spec.ts checks they agree).
 */
export function isCanonicalEvent(body: Record<string, unknown>): boolean {
  return (
    equals(body['specversion'], SPEC_VERSION) &&
    matches(body['id'] as string, EVENT_ID) &&
    isString(body['source']) &&
    matches(body['type'] as string, EVENT_TYPE) &&
    matches(body['subject'] as string, SUBJECT) &&
    isISO8601(body['time']) &&
    isUUID(body['tenant']) &&
    isIn(body['provider'], PROVIDERS) &&
    isObject(body['data'])
  );
}

/**
 * Why `body` is not a canonical event, in the decorators' own words; null when it is one. The fast
 * check runs first, so a valid event never pays for class-validator. Ingest checks every event it
 * makes with it before publishing, and consumers every event they read.
 */
export function canonicalEventProblem(body: Record<string, unknown>): string | null {
  if (isCanonicalEvent(body)) return null;
  const errors = validateSync(plainToInstance(CanonicalEventMessage, body), { forbidUnknownValues: false });
  const reasons = errors.map((error) => Object.values(error.constraints ?? {}).join(', '));
  return `not a canonical event: ${reasons.join('; ') || 'it breaks a rule of CanonicalEventMessage'}`;
}
