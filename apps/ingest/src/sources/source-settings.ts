import { BadRequestException } from '@nestjs/common';
import type { ProviderId } from '@hub/contracts';

interface SettingRule {
  default: string;
  valid: (value: string) => boolean;
  expected: string;
}

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
const BODY_PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){0,9}$/;

/**
 * What ingest does with a request of a tenant over its fair share (ADR 0010): take it onto the slow
 * lane (never loses anything), or answer 429 with Retry-After (only for a provider that retries).
 */
export const OVER_SHARE = { slowLane: 'slow-lane', retryLater: 'retry-later' } as const;

/** Settings every source takes, whatever its provider. */
const COMMON: Record<string, SettingRule> = {
  over_share: {
    default: OVER_SHARE.slowLane,
    valid: (v) => Object.values<string>(OVER_SHARE).includes(v),
    expected: `${OVER_SHARE.slowLane} or ${OVER_SHARE.retryLater}`,
  },
};

/** The settings each provider takes besides the common ones, with their defaults (docs/providers.md). */
const PROVIDER_RULES: Record<ProviderId, Record<string, SettingRule>> = {
  'pylon-observer': {},
  observer: {},
  casesolved: {},
  solarproof: {},
  opensolar: {
    header_name: {
      default: 'Authorization',
      valid: (v) => HEADER_NAME.test(v),
      expected: 'an HTTP header name',
    },
  },
  'standard-webhooks': {
    event_type_path: {
      default: 'type',
      valid: (v) => BODY_PATH.test(v),
      expected: 'a dotted body path such as type',
    },
    entity_id_path: {
      default: 'data.id',
      valid: (v) => BODY_PATH.test(v),
      expected: 'a dotted body path such as data.id',
    },
    topic: {
      default: 'monitoring',
      valid: (v) => ['projects', 'customers', 'monitoring'].includes(v),
      expected: 'projects, customers or monitoring',
    },
  },
};

/** Checks given settings against the provider's, fills in defaults; 400 naming the offending field. */
export function resolveSettings(
  provider: ProviderId,
  given: Record<string, unknown> | undefined,
  current: Record<string, string> = {},
): Record<string, string> {
  const rules = { ...COMMON, ...PROVIDER_RULES[provider] };
  for (const key of Object.keys(given ?? {})) {
    // Own keys only: `in` would take constructor, toString, __proto__ … from Object.prototype.
    if (!Object.hasOwn(rules, key)) {
      const known = Object.keys(rules);
      throw new BadRequestException(
        `settings.${key} is not a setting of ${provider}${known.length ? ` (known: ${known.join(', ')})` : ' (it takes none)'}`,
      );
    }
  }
  const resolved: Record<string, string> = {};
  for (const [key, rule] of Object.entries(rules)) {
    const value = given?.[key] ?? current[key] ?? rule.default;
    if (typeof value !== 'string' || !rule.valid(value)) {
      throw new BadRequestException(`settings.${key} must be ${rule.expected}`);
    }
    resolved[key] = value;
  }
  return resolved;
}
