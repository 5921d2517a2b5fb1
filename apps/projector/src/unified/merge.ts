import { phoneCountry, type LinkingRules } from './linking-rules.js';
import { normaliseEmail, normalisePhone } from './normalise.js';

/** A group member as the merge reads it. */
export interface MergeMember {
  id: string;
  provider: string;
  document: Record<string, unknown>;
  version: number;
  sources: string[];
  /** The provider's time of the record, else its last canonical event's; null sorts oldest. */
  time: string | null;
}

export interface FieldProvenance {
  record: string;
  provider: string;
  source: string | null;
  version: number;
  time: string | null;
}

export type MergePolicy = 'latest' | 'rank';

export interface FieldConflict {
  field: string;
  chosen: string;
  policy: MergePolicy;
  values: Array<{ record: string; provider: string; value: unknown }>;
}

export interface Merged {
  document: Record<string, unknown>;
  provenance: Record<string, FieldProvenance>;
  conflicts: FieldConflict[];
}

/**
 * Fields that belong to one provider's record and are never merged: its ids, the provider's own
 * clock, what its mapping left unmapped, the provider's event name, and a project's list of that
 * provider's customer ids. The unified record lists its members instead.
 */
export const PER_RECORD_FIELDS = new Set([
  'id',
  'external_id',
  'provider_updated_at',
  'attributes',
  'provider_event',
  'customers',
]);

/**
 * A group's merged document: per top-level field, the value its policy chooses among the members
 * holding a non-null value ('rank' where the tenant ranks providers for the field, else 'latest'),
 * where it came from, and every field whose members disagree. Pure and independent of the order
 * members are given in: only provider times and member ids order them, never arrival.
 */
export function mergeGroup(unifiedId: string, members: MergeMember[], rules: LinkingRules): Merged {
  const newestFirst = [...members].sort(newerFirst);
  const fields = [...new Set(members.flatMap((m) => Object.keys(m.document)))]
    .filter((field) => !PER_RECORD_FIELDS.has(field))
    .sort();
  const document: Record<string, unknown> = { id: unifiedId };
  const provenance: Record<string, FieldProvenance> = {};
  const conflicts: FieldConflict[] = [];
  for (const field of fields) {
    const holders = newestFirst.filter((m) => hasValue(m.document[field]));
    const ranking = rules.conflicts.rank[field];
    const chosen = ranking ? byRank(holders, ranking) : holders[0];
    if (!chosen) {
      document[field] = null;
      continue;
    }
    document[field] = mergedValue(field, chosen.document[field], rules);
    provenance[field] = provenanceOf(chosen);
    const conflict = conflictOf(field, holders, chosen, ranking ? 'rank' : 'latest', rules);
    if (conflict) conflicts.push(conflict);
  }
  return { document, provenance, conflicts };
}

/** The provider's time, newest first (none is oldest); the smallest id on a tie. */
function newerFirst(a: MergeMember, b: MergeMember): number {
  const timeA = a.time ? Date.parse(a.time) : -Infinity;
  const timeB = b.time ? Date.parse(b.time) : -Infinity;
  if (timeA !== timeB) return timeB - timeA;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The first ranked provider holding a value; unranked providers after, newest first. */
function byRank(newestFirst: MergeMember[], ranking: string[]): MergeMember | undefined {
  for (const provider of ranking) {
    const held = newestFirst.find((m) => m.provider === provider);
    if (held) return held;
  }
  return newestFirst[0];
}

function hasValue(value: unknown): boolean {
  return value !== null && value !== undefined;
}

function provenanceOf(member: MergeMember): FieldProvenance {
  return {
    record: member.id,
    provider: member.provider,
    // The source that fed the record last (sources are kept in the order they first fed it).
    source: member.sources.at(-1) ?? null,
    version: member.version,
    time: member.time,
  };
}

function conflictOf(
  field: string,
  holders: MergeMember[],
  chosen: MergeMember,
  policy: MergePolicy,
  rules: LinkingRules,
): FieldConflict | null {
  const distinct = new Set(holders.map((m) => comparable(field, m.document[field], rules)));
  if (distinct.size < 2) return null;
  const values = [...holders]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((m) => ({ record: m.id, provider: m.provider, value: m.document[field] }));
  return { field, chosen: chosen.id, policy, values };
}

/**
 * The value a unified record shows: emails trimmed and lower-cased, valid phone numbers in E.164,
 * so a provider spelling the same address or number differently changes no merged field.
 */
function mergedValue(field: string, value: unknown, rules: LinkingRules): unknown {
  if (field === 'email') return normaliseEmail(value, false) ?? value;
  if (field === 'phone') return normalisePhone(value, phoneCountry(rules)) ?? value;
  return value;
}

/** A value as two members' are compared: emails and phones normalised, the rest as sorted JSON. */
function comparable(field: string, value: unknown, rules: LinkingRules): string {
  if (field === 'email') return normaliseEmail(value, rules.customer.plus_addressing) ?? canonicalJson(value);
  if (field === 'phone') return normalisePhone(value, phoneCountry(rules)) ?? canonicalJson(value);
  return canonicalJson(value);
}

/** JSON with object keys sorted: two providers' equal objects compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
