import { createHash } from 'node:crypto';
import { CUSTOMER_GROUP_KEY, EMAIL_KEY, PHONE_KEY, REFERENCE_KEY, emailOfKeys } from './link-keys.js';
import type { LinkingRules, UnifiedKind } from './linking-rules.js';

/** A record's latest manual decision. */
export interface ManualDecision {
  decision: 'link' | 'unlink';
  target: string | null;
}

/** Why a member is in its group. */
export interface MemberLink {
  linkedBy: 'rule' | 'manual' | 'self';
  /** The keys it shares with the group, the manual links it makes or receives; null when alone. */
  reason: { keys?: string[]; linked_to?: string[]; linked_from?: string[]; unlinked?: true } | null;
}

/** What the components read of a record: its provider (for reference rules' sides) and its keys. */
export interface RecordKeys {
  provider: string;
  keys: readonly string[];
}

export interface Group {
  /** Sorted; the first (smallest) names the unified id. */
  members: string[];
  links: Map<string, MemberLink>;
}

/**
 * The groups of one tenant's records of one kind: connected components over rule edges (records
 * sharing a key, as the rules allow; none touching a record whose decision is 'unlink') and manual
 * 'link' edges. Pure, and independent of the order records are given in.
 */
export function components(
  keysByRecord: ReadonlyMap<string, RecordKeys>,
  rules: LinkingRules,
  decisions: ReadonlyMap<string, ManualDecision>,
): Group[] {
  const records = [...keysByRecord.keys()].sort();
  const sets = new DisjointSets(records);
  const shared = new Map<string, Set<string>>(records.map((id) => [id, new Set()]));
  const manual = new Map<string, { to: Set<string>; from: Set<string> }>();
  const unlinked = (id: string) => decisions.get(id)?.decision === 'unlink';
  for (const [key, holders] of holdersByKey(keysByRecord, unlinked)) {
    for (const [a, b] of ruleEdges(key, holders, keysByRecord, rules)) {
      sets.union(a, b);
      shared.get(a)?.add(key);
      shared.get(b)?.add(key);
    }
  }
  for (const [member, decision] of decisions) {
    const target = decision.target;
    if (decision.decision !== 'link' || !target || !keysByRecord.has(member) || !keysByRecord.has(target))
      continue;
    if (member === target) continue;
    sets.union(member, target);
    manualOf(manual, member).to.add(target);
    manualOf(manual, target).from.add(member);
  }
  return groupsOf(records, sets, shared, manual, new Set(records.filter(unlinked)));
}

/** The records holding each key shared by two or more (records that stand apart hold none). */
function holdersByKey(
  keysByRecord: ReadonlyMap<string, RecordKeys>,
  unlinked: (id: string) => boolean,
): Map<string, string[]> {
  const holders = new Map<string, string[]>();
  for (const [id, { keys }] of keysByRecord) {
    if (unlinked(id)) continue;
    for (const key of keys) {
      const list = holders.get(key);
      if (list) list.push(id);
      else holders.set(key, [id]);
    }
  }
  for (const [key, list] of holders) {
    if (list.length < 2) holders.delete(key);
    else list.sort();
  }
  return holders;
}

/**
 * The pairs a shared key links. Edges to the first holder suffice where all holders link (a star
 * connects them as a clique would). A shared phone under 'unless_emails_differ' links all of its
 * holders, those without an email included, unless they carry two or more different emails: then
 * it links none. Deciding per key and not per pair keeps a holder without an email from joining
 * two people whose emails differ, whatever order the records come in.
 */
function ruleEdges(
  key: string,
  holders: string[],
  keysByRecord: ReadonlyMap<string, RecordKeys>,
  rules: LinkingRules,
): Array<[string, string]> {
  if (key.startsWith(EMAIL_KEY)) return rules.customer.email ? star(holders) : [];
  if (key.startsWith(REFERENCE_KEY)) return referenceEdges(key, holders, keysByRecord, rules);
  // Projects whose customers are one unified customer (keys made so only with via_customer on).
  if (key.startsWith(CUSTOMER_GROUP_KEY)) return star(holders);
  if (!key.startsWith(PHONE_KEY) || rules.customer.phone === 'off') return [];
  if (rules.customer.phone === 'always') return star(holders);
  const emails = new Set<string>();
  for (const id of holders) {
    const email = emailOfKeys(keysByRecord.get(id)?.keys ?? []);
    if (email !== null) emails.add(email);
  }
  return emails.size > 1 ? [] : star(holders);
}

/**
 * A reference rule says `provider.field = other_provider.other_field`: it links a record of one
 * side to the records of the other, never two records of the same side to each other (two Pylon
 * designs with one reference are tied only through the OpenSolar project they both name).
 */
function referenceEdges(
  key: string,
  holders: string[],
  keysByRecord: ReadonlyMap<string, RecordKeys>,
  rules: LinkingRules,
): Array<[string, string]> {
  const rule = rules.project.references[Number(key.slice(REFERENCE_KEY.length).split(':', 1)[0])];
  if (!rule) return [];
  const providerOf = (id: string) => keysByRecord.get(id)?.provider;
  const sideA = holders.filter((id) => providerOf(id) === rule.provider);
  const sideB = holders.filter((id) => providerOf(id) === rule.other_provider);
  const [firstA] = sideA;
  const [firstB] = sideB;
  if (firstA === undefined || firstB === undefined) return [];
  return [
    ...sideB.map((id): [string, string] => [firstA, id]),
    ...sideA.map((id): [string, string] => [id, firstB]),
  ];
}

function star(ids: string[]): Array<[string, string]> {
  const [first, ...rest] = ids;
  return first === undefined ? [] : rest.map((id): [string, string] => [first, id]);
}

function manualOf(manual: Map<string, { to: Set<string>; from: Set<string> }>, id: string) {
  const entry = manual.get(id) ?? { to: new Set<string>(), from: new Set<string>() };
  manual.set(id, entry);
  return entry;
}

function groupsOf(
  records: string[],
  sets: DisjointSets,
  shared: Map<string, Set<string>>,
  manual: Map<string, { to: Set<string>; from: Set<string> }>,
  unlinked: Set<string>,
): Group[] {
  const byRoot = new Map<string, string[]>();
  for (const id of records) {
    const root = sets.find(id);
    pushTo(byRoot, root, id);
  }
  return [...byRoot.values()].map((members) => ({
    members,
    links: new Map(members.map((id) => [id, memberLink(id, members.length, shared, manual, unlinked)])),
  }));
}

function memberLink(
  id: string,
  size: number,
  shared: Map<string, Set<string>>,
  manual: Map<string, { to: Set<string>; from: Set<string> }>,
  unlinked: Set<string>,
): MemberLink {
  if (size === 1) return { linkedBy: 'self', reason: unlinked.has(id) ? { unlinked: true } : null };
  const keys = [...(shared.get(id) ?? [])].sort();
  const hand = manual.get(id);
  const reason: NonNullable<MemberLink['reason']> = {};
  if (keys.length > 0) reason.keys = keys;
  if (hand?.to.size) reason.linked_to = [...hand.to].sort();
  if (hand?.from.size) reason.linked_from = [...hand.from].sort();
  return { linkedBy: hand ? 'manual' : 'rule', reason };
}

/** Union-find with path halving; the root is no meaning of its own (groups are sorted after). */
class DisjointSets {
  private readonly parent = new Map<string, string>();

  constructor(ids: string[]) {
    for (const id of ids) this.parent.set(id, id);
  }

  find(id: string): string {
    let current = id;
    for (;;) {
      const parent = this.parent.get(current) ?? current;
      if (parent === current) return current;
      const grand = this.parent.get(parent) ?? parent;
      this.parent.set(current, grand);
      current = grand;
    }
  }

  union(a: string, b: string): void {
    const rootA = this.find(a);
    const rootB = this.find(b);
    if (rootA === rootB) return;
    // The smaller id becomes the root: no effect on groups, only keeps runs alike.
    if (rootA < rootB) this.parent.set(rootB, rootA);
    else this.parent.set(rootA, rootB);
  }
}

const ID_PREFIX: Record<UnifiedKind, string> = { customer: 'unified:cus_', project: 'unified:prj_' };

/**
 * A group's unified id, from the tenant and its smallest member: the same whatever order the
 * records arrived in. A group that gains a smaller member gets a new id (docs/adr/0017).
 */
export function unifiedIdOf(kind: UnifiedKind, tenantId: string, members: readonly string[]): string {
  const smallest = [...members].sort()[0] ?? '';
  const hash = createHash('sha256').update(`${tenantId}\0${smallest}`).digest('hex').slice(0, 20);
  return `${ID_PREFIX[kind]}${hash}`;
}

/** Appends to the list under `key`, creating it: no copy per element, as spreading would make. */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
