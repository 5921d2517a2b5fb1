import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  DATA_CONTENT_TYPE,
  deterministicEventId,
  SPEC_VERSION,
  type RecordLinkData,
  type UnifiedStateChangeData,
} from '@hub/contracts';
import { changedPaths, deepEqual, diffDocuments } from '../projection/change-detection.js';
import type { StateChange } from '../projection/state-change.js';
import { components, unifiedIdOf, type Group, type ManualDecision, type RecordKeys } from './components.js';
import { linkKeys } from './link-keys.js';
import { UNIFIED_KINDS, type LinkingRules, type UnifiedKind } from './linking-rules.js';
import { canonicalJson, mergeGroup, type MergeMember, type Merged } from './merge.js';
import { normaliseEmail } from './normalise.js';
import {
  UnifiedRepository,
  type DecisionRow,
  type KeyRow,
  type LinkRow,
  type MemberRef,
  type MemberRow,
  type UnifiedRecordRow,
  type UnifiedRecordWrite,
} from './unified.repository.js';

/**
 * What caused a recomputation: the canonical event that changed a record, or for a rules change
 * or a manual decision, the command (an id the caller makes deterministic, the time it was made).
 * The state changes it yields carry its time and provider, and derive their ids from its id.
 */
export interface UnifiedCause {
  id: string;
  time: string;
  /** The provider of the record that changed; for a command, the envelope's `provider` ('hub'). */
  provider: string;
}

/** A provider record a projection batch changed, and the event that changed it last. */
export interface ChangedRecord extends MemberRef {
  cause: UnifiedCause;
}

export interface UnifiedSettings {
  /** UNIFIED_RECORDS: off, no record is linked and the tables stay as they are. */
  enabled: boolean;
}

const ENTITY_TYPE: Record<UnifiedKind, 'unified_customer' | 'unified_project'> = {
  customer: 'unified_customer',
  project: 'unified_project',
};

/** Partition key of one tenant's records of one kind. */
const partitionOf = (ref: { tenantId: string; kind: UnifiedKind }) => `${ref.tenantId}\0${ref.kind}`;
const memberKey = (ref: MemberRef) => `${ref.tenantId}\0${ref.kind}\0${ref.id}`;

/** What one recomputation found for one group. */
interface GroupOutcome {
  tenantId: string;
  kind: UnifiedKind;
  unifiedId: string;
  group: Group;
  merged: Merged;
  members: MemberRow[];
  cause: UnifiedCause;
}

/**
 * Links provider records of the same customer or project into unified records (docs/adr/0017).
 * Everything it writes is derived from the provider records, the tenant's rules and its manual
 * decisions, inside the caller's transaction: a projection batch's, or a command's. A rebuild
 * derives the same records again.
 */
@Injectable()
export class UnifiedService {
  constructor(
    private readonly repository: UnifiedRepository,
    private readonly settings: UnifiedSettings = { enabled: true },
  ) {}

  get enabled(): boolean {
    return this.settings.enabled;
  }

  /**
   * After a projection batch's entity writes, in its transaction: re-keys the records it changed
   * and recomputes only the groups they can alter. The state changes to publish with the batch's.
   */
  async applyChanged(manager: EntityManager, changed: ChangedRecord[]): Promise<StateChange[]> {
    if (!this.settings.enabled || changed.length === 0) return [];
    const tenants = [...new Set(changed.map((c) => c.tenantId))];
    await this.repository.lockTenants(manager, tenants);
    const rules = await this.repository.rulesOf(manager, tenants);
    const refs = [...new Map(changed.map((c) => [memberKey(c), toRef(c)])).values()];
    await this.rekey(manager, await this.repository.members(manager, refs), refs, rules);
    const scope = await this.reachable(manager, refs);
    return this.recompute(manager, scope, rules, causesOf(changed));
  }

  /**
   * Recomputes every group of the tenant (of one kind, or both): after its rules changed or a
   * manual decision was recorded, in the command's transaction. Publish what it returns on the
   * state-changes topic, as the projector publishes a batch's (ProjectionConsumer).
   */
  async reevaluateTenant(
    manager: EntityManager,
    tenantId: string,
    kind?: UnifiedKind,
    cause: UnifiedCause = {
      id: `reevaluation:${Date.now()}`,
      time: new Date().toISOString(),
      provider: 'hub',
    },
  ): Promise<StateChange[]> {
    if (!this.settings.enabled) return [];
    await this.repository.lockTenants(manager, [tenantId]);
    const rules = await this.repository.rulesOf(manager, [tenantId]);
    const changes: StateChange[] = [];
    for (const each of kind ? [kind] : UNIFIED_KINDS) {
      const members = await this.repository.allMembers(manager, tenantId, each);
      const refs = members.map((m) => ({ tenantId, kind: each, id: m.id }));
      await this.rekey(manager, members, refs, rules);
      const byPartition = new Map([[partitionOf({ tenantId, kind: each }), cause]]);
      changes.push(...(await this.recompute(manager, refs, rules, { byMember: new Map(), byPartition })));
    }
    return changes;
  }

  /**
   * Replaces the records' match keys by what the rules make of their documents now; only those
   * whose keys differ are rewritten (most changes touch no email, phone or reference).
   */
  private async rekey(
    manager: EntityManager,
    members: MemberRow[],
    refs: MemberRef[],
    rules: Map<string, LinkingRules>,
  ): Promise<void> {
    const stored = new Map<string, string[]>();
    for (const row of await this.repository.keysOf(manager, refs)) {
      const key = memberKey({ tenantId: row.tenant_id, kind: row.kind, id: row.member_id });
      pushTo(stored, key, row.key);
    }
    const wanted = new Map<string, string[]>(refs.map((ref) => [memberKey(ref), []]));
    for (const m of members)
      wanted.set(
        memberKey({ tenantId: m.tenant_id, kind: m.kind, id: m.id }),
        linkKeys(m.kind, m, rulesFor(rules, m.tenant_id)),
      );
    const changed = refs.filter(
      (ref) => !sameKeys(stored.get(memberKey(ref)) ?? [], wanted.get(memberKey(ref)) ?? []),
    );
    const keys: KeyRow[] = changed.flatMap((ref) =>
      (wanted.get(memberKey(ref)) ?? []).map((key) => ({
        tenant_id: ref.tenantId,
        kind: ref.kind,
        member_id: ref.id,
        key,
      })),
    );
    await this.repository.replaceKeys(manager, changed, keys);
  }

  /**
   * Every record whose group the seeds' changes can alter: what shares a key with them, their
   * current groups, their manual links, and so on until nothing new is found. Usually two rounds.
   */
  private async reachable(manager: EntityManager, seeds: MemberRef[]): Promise<MemberRef[]> {
    const found = new Map(seeds.map((ref) => [memberKey(ref), ref]));
    let frontier = seeds;
    while (frontier.length > 0) {
      const next: MemberRef[] = [];
      for (const ref of await this.repository.neighbours(manager, frontier)) {
        if (found.has(memberKey(ref))) continue;
        found.set(memberKey(ref), ref);
        next.push(ref);
      }
      frontier = next;
    }
    return [...found.values()];
  }

  /** Recomputes the groups of `scope` (closed: no edge leaves it) and writes what changed. */
  private async recompute(
    manager: EntityManager,
    scope: MemberRef[],
    rules: Map<string, LinkingRules>,
    causes: Causes,
  ): Promise<StateChange[]> {
    const members = await this.repository.members(manager, scope);
    const existing = members.map((m) => ({ tenantId: m.tenant_id, kind: m.kind, id: m.id }));
    const keys = await this.repository.keysOf(manager, existing);
    const decisions = await this.repository.decisionsAround(manager, existing);
    const oldLinks = await this.repository.linksOf(manager, scope);
    const outcomes = groupOutcomes(members, keys, decisions, rules, causes);
    const oldIds = uniqueRefs(
      oldLinks.map((l) => ({ tenantId: l.tenant_id, kind: l.kind, id: l.unified_id })),
    );
    const newIds = outcomes.map((o) => ({ tenantId: o.tenantId, kind: o.kind, id: o.unifiedId }));
    const stored = await this.repository.unifiedRecords(manager, uniqueRefs([...oldIds, ...newIds]));
    const storedById = new Map(stored.map((row) => [memberKey({ ...row, tenantId: row.tenant_id }), row]));
    const live = new Set(newIds.map(memberKey));
    const oldLinkOf = new Map(oldLinks.map((l) => [memberKey(linkRef(l)), l]));
    const recordChanges = outcomes.map((o) => recordChange(o, storedById, oldLinkOf));
    await this.repository.saveUnifiedRecords(
      manager,
      recordChanges.flatMap((c) => (c.write ? [c.write] : [])),
    );
    await this.repository.deleteUnifiedRecords(
      manager,
      oldIds.filter((ref) => !live.has(memberKey(ref))),
    );
    const oldSizes = new Map<string, number>();
    for (const link of oldLinks) {
      const group = memberKey({ tenantId: link.tenant_id, kind: link.kind, id: link.unified_id });
      oldSizes.set(group, (oldSizes.get(group) ?? 0) + 1);
    }
    const linkChanges = outcomes.flatMap((o) => linkChangesOf(o, oldLinkOf, oldSizes));
    await this.repository.saveLinks(
      manager,
      linkChanges.filter((c) => c.changed).map((c) => c.row),
    );
    return [
      ...recordChanges.flatMap((c) => (c.event ? [c.event] : [])),
      ...linkChanges.flatMap((c) => c.events),
    ];
  }
}

interface Causes {
  /** The cause of each record the batch changed. */
  byMember: Map<string, UnifiedCause>;
  /** Per tenant and kind, the cause of groups without a changed member (split off, say). */
  byPartition: Map<string, UnifiedCause>;
}

/** Each changed record's cause; per partition, the smallest changed record's, for the others. */
function causesOf(changed: ChangedRecord[]): Causes {
  const byMember = new Map(changed.map((c) => [memberKey(c), c.cause]));
  const byPartition = new Map<string, UnifiedCause>();
  for (const c of [...changed].sort((a, b) => compare(a.id, b.id))) {
    if (!byPartition.has(partitionOf(c))) byPartition.set(partitionOf(c), c.cause);
  }
  return { byMember, byPartition };
}

function groupOutcomes(
  members: MemberRow[],
  keys: KeyRow[],
  decisions: DecisionRow[],
  rules: Map<string, LinkingRules>,
  causes: Causes,
): GroupOutcome[] {
  const partitions = new Map<string, MemberRow[]>();
  for (const m of members) {
    const key = partitionOf({ tenantId: m.tenant_id, kind: m.kind });
    pushTo(partitions, key, m);
  }
  const keysOf = new Map<string, string[]>();
  for (const k of keys) {
    const key = memberKey({ tenantId: k.tenant_id, kind: k.kind, id: k.member_id });
    pushTo(keysOf, key, k.key);
  }
  const decisionOf = new Map(
    decisions.map((d) => [memberKey({ tenantId: d.tenant_id, kind: d.kind, id: d.member_id }), d]),
  );
  return [...partitions.values()].flatMap((ofPartition) =>
    partitionOutcomes(ofPartition, keysOf, decisionOf, rules, causes),
  );
}

function partitionOutcomes(
  members: MemberRow[],
  keysOf: Map<string, string[]>,
  decisionOf: Map<string, DecisionRow>,
  rules: Map<string, LinkingRules>,
  causes: Causes,
): GroupOutcome[] {
  const [first] = members;
  if (!first) return [];
  const tenantId = first.tenant_id;
  const kind = first.kind;
  const tenantRules = rulesFor(rules, tenantId);
  const keysByRecord = new Map<string, RecordKeys>();
  const decisions = new Map<string, ManualDecision>();
  const byId = new Map<string, MemberRow>();
  for (const m of members) {
    const key = memberKey({ tenantId, kind, id: m.id });
    byId.set(m.id, m);
    keysByRecord.set(m.id, { provider: m.provider, keys: keysOf.get(key) ?? [] });
    const decision = decisionOf.get(key);
    if (decision) decisions.set(m.id, { decision: decision.decision, target: decision.target_member_id });
  }
  const fallback = causes.byPartition.get(partitionOf({ tenantId, kind }));
  return components(keysByRecord, tenantRules, decisions).map((group) => {
    const unifiedId = unifiedIdOf(kind, tenantId, group.members);
    const groupMembers = group.members.map((id) => byId.get(id)).filter((m): m is MemberRow => !!m);
    const cause =
      group.members.map((id) => causes.byMember.get(memberKey({ tenantId, kind, id }))).find((c) => !!c) ??
      fallback;
    if (!cause) throw new Error(`no cause for the unified record ${unifiedId}`);
    const merged = mergeGroup(unifiedId, groupMembers.map(mergeMemberOf), tenantRules);
    return { tenantId, kind, unifiedId, group, merged, members: groupMembers, cause };
  });
}

function mergeMemberOf(row: MemberRow): MergeMember {
  return {
    id: row.id,
    provider: row.provider,
    document: row.document,
    version: row.version,
    sources: row.sources,
    time: row.time ? new Date(row.time).toISOString() : null,
  };
}

/** A group's unified record row and its state change, when either changed. */
function recordChange(
  outcome: GroupOutcome,
  stored: Map<string, UnifiedRecordRow>,
  oldLinkOf: Map<string, LinkRow>,
): { write: UnifiedRecordWrite | null; event: StateChange | null } {
  const { tenantId, kind, unifiedId, merged, members } = outcome;
  const previous = stored.get(memberKey({ tenantId, kind, id: unifiedId })) ?? null;
  const documentChanged = !previous || !deepEqual(previous.document, merged.document);
  const memberIds = members.map((m) => m.id);
  const unchanged =
    previous &&
    !documentChanged &&
    canonicalJson(previous.provenance) === canonicalJson(merged.provenance) &&
    canonicalJson(previous.conflicts) === canonicalJson(merged.conflicts) &&
    canonicalJson(previous.members) === canonicalJson(memberIds);
  if (unchanged) return { write: null, event: null };
  const version = documentChanged ? (previous?.version ?? 0) + 1 : (previous?.version ?? 1);
  const write = recordWrite(outcome, version);
  if (!documentChanged) return { write, event: null };
  const root = ENTITY_TYPE[kind];
  const paths = previous
    ? diffDocuments(previous.document, merged.document, root).paths
    : changedPaths(undefined, merged.document, root);
  const replaces = [
    ...new Set(
      memberIds
        .map((id) => oldLinkOf.get(memberKey({ tenantId, kind, id }))?.unified_id)
        .filter((id): id is string => !!id && id !== unifiedId),
    ),
  ].sort();
  const data: UnifiedStateChangeData = {
    entity_type: root,
    entity_id: unifiedId,
    version,
    changed_fields: paths,
    document: merged.document,
    members: memberIds,
    ...(replaces.length > 0 ? { replaces } : {}),
    caused_by: outcome.cause.id,
  };
  const type = `${root}.${previous ? 'updated' : 'created'}`;
  const id = deterministicEventId([tenantId, root, unifiedId, String(version), outcome.cause.id]);
  return { write, event: stateChange(tenantId, unifiedId, type, id, outcome.cause, data) };
}

function recordWrite(outcome: GroupOutcome, version: number): UnifiedRecordWrite {
  const { tenantId, kind, unifiedId, merged, members } = outcome;
  const document = merged.document;
  return {
    tenantId,
    kind,
    id: unifiedId,
    version,
    document,
    provenance: merged.provenance as Record<string, unknown>,
    conflicts: merged.conflicts,
    members: members.map((m) => m.id),
    providers: [...new Set(members.map((m) => m.provider))].sort(),
    sources: [...new Set(members.flatMap((m) => m.sources))].sort(),
    status: textOrNull(document['status']),
    email: kind === 'customer' ? normaliseEmail(document['email'], false) : null,
    stage: textOrNull(document['stage']),
    reference_number: textOrNull(document['reference_number']),
    searchText: searchTextOf(unifiedId, members, document),
  };
}

/** What a list's `q` looks in, lower-cased: every member's id, external id, name, email, reference. */
function searchTextOf(unifiedId: string, members: MemberRow[], document: Record<string, unknown>): string {
  const parts = [unifiedId];
  for (const m of members) {
    parts.push(m.id);
    for (const field of ['external_id', 'name', 'first_name', 'last_name', 'email', 'reference_number'])
      parts.push(textOrNull(m.document[field]) ?? '');
  }
  parts.push(textOrNull(document['name']) ?? '');
  return parts
    .filter((p) => p !== '')
    .join(' ')
    .toLowerCase();
}

/**
 * Each member's link row, whether it changed, and its events: `<kind>.linked` when it joins a
 * group of more than itself (or its group's id changed), `<kind>.unlinked` when it is left alone.
 */
function linkChangesOf(
  outcome: GroupOutcome,
  oldLinkOf: Map<string, LinkRow>,
  oldSizes: Map<string, number>,
): Array<{ row: LinkRow; changed: boolean; events: StateChange[] }> {
  const { tenantId, kind, unifiedId, group } = outcome;
  const size = group.members.length;
  return group.members.map((member) => {
    const how = group.links.get(member) ?? { linkedBy: 'self' as const, reason: null };
    const row: LinkRow = {
      tenant_id: tenantId,
      kind,
      member_id: member,
      unified_id: unifiedId,
      linked_by: how.linkedBy,
      reason: how.reason,
    };
    const old = oldLinkOf.get(memberKey({ tenantId, kind, id: member })) ?? null;
    const changed =
      !old ||
      old.unified_id !== unifiedId ||
      old.linked_by !== row.linked_by ||
      canonicalJson(old.reason) !== canonicalJson(row.reason);
    const oldSize = old ? (oldSizes.get(memberKey({ tenantId, kind, id: old.unified_id })) ?? 1) : 0;
    const events: StateChange[] = [];
    if (size > 1 && (!old || old.unified_id !== unifiedId || oldSize <= 1))
      events.push(linkEvent(outcome, member, 'linked', row));
    else if (size === 1 && old && oldSize > 1)
      events.push(linkEvent({ ...outcome, unifiedId: old.unified_id }, member, 'unlinked', row));
    return { row, changed, events };
  });
}

function linkEvent(
  outcome: GroupOutcome,
  member: string,
  what: 'linked' | 'unlinked',
  row: LinkRow,
): StateChange {
  const { tenantId, kind, unifiedId, cause } = outcome;
  const data: RecordLinkData = {
    unified_id: unifiedId,
    record: member,
    // Left alone by its own 'unlink' decision, or because what tied it to the group changed.
    linked_by: row.linked_by === 'manual' || row.reason?.['unlinked'] ? 'manual' : 'rule',
    reason: row.reason,
    caused_by: cause.id,
  };
  const type = `${kind}.${what}`;
  const id = deterministicEventId([tenantId, type, member, unifiedId, cause.id]);
  return stateChange(tenantId, member, type, id, cause, data);
}

/** A state change about `subject`, in the envelope the projector's own have (stateChangeEnvelope). */
function stateChange(
  tenantId: string,
  subject: string,
  type: string,
  id: string,
  cause: UnifiedCause,
  data: object,
): StateChange {
  const envelope = {
    specversion: SPEC_VERSION,
    source: `/tenants/${tenantId}`,
    subject,
    time: cause.time,
    datacontenttype: DATA_CONTENT_TYPE,
    tenant: tenantId,
    provider: cause.provider,
    id,
    type,
    data,
  };
  return { id, type, tenant: tenantId, subject, json: JSON.stringify(envelope), causedBy: cause.id };
}

/** Key lists compared as sets (linkKeys sorts its own; stored ones come in any order). */
function sameKeys(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((key) => set.has(key));
}

function rulesFor(rules: Map<string, LinkingRules>, tenantId: string): LinkingRules {
  const found = rules.get(tenantId);
  if (!found) throw new Error(`no linking rules loaded for tenant ${tenantId}`);
  return found;
}

function toRef(ref: MemberRef): MemberRef {
  return { tenantId: ref.tenantId, kind: ref.kind, id: ref.id };
}

function linkRef(link: LinkRow): MemberRef {
  return { tenantId: link.tenant_id, kind: link.kind, id: link.member_id };
}

function uniqueRefs(refs: MemberRef[]): MemberRef[] {
  return [...new Map(refs.map((ref) => [memberKey(ref), ref])).values()];
}

function textOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Appends to the list under `key`, creating it: no copy per element, as spreading would make. */
function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
