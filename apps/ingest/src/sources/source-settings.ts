import { BadRequestException } from '@nestjs/common';
import type { ProviderId } from '@hub/contracts';
import type { SettingRule } from '../providers/provider.js';
import { providerOf } from '../providers/registry.js';

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

/**
 * Checks given settings against the common ones and the provider's own (its folder says which),
 * fills in defaults; 400 naming the offending field.
 */
export function resolveSettings(
  provider: ProviderId,
  given: Record<string, unknown> | undefined,
  current: Record<string, string> = {},
): Record<string, string> {
  const rules = { ...COMMON, ...providerOf(provider).settings };
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
