import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProjectionRepository } from '../projection/projection.repository.js';
import type { StateChange } from '../projection/state-change.js';
import { components, pushTo, unifiedIdOf, type ManualDecision, type RecordKeys } from './components.js';
import { CUSTOMER_GROUP_KEY, CUSTOMER_KEY, linkKeys } from './link-keys.js';
import { UNIFIED_KINDS, type LinkingRules, type UnifiedKind } from './linking-rules.js';
import { mergeGroup, type MergeMember } from './merge.js';
import {
  linkChangesOf,
  memberKey,
  partitionOf,
  previousOf,
  recordChange,
  replacesOf,
  unifiedRef,
  type GroupOutcome,
  type UnifiedCause,
} from './unified-changes.js';
import {
  UnifiedRepository,
  type DecisionRow,
  type KeyRow,
  type LinkRow,
  type MemberRef,
  type MemberRow,
  type ScopeState,
  type UnifiedRecordHead,
} from './unified.repository.js';

export { type UnifiedCause } from './unified-changes.js';

/** A provider record a projection batch changed, and the event that changed it last. */
export interface ChangedRecord extends MemberRef {
  cause: UnifiedCause;
  /** The record as the batch wrote it, when the caller has it: spares reading it back. */
  row?: MemberRow;
}

export interface UnifiedSettings {
  /** UNIFIED_RECORDS: off, no record is linked and the tables stay as they are. */
  enabled: boolean;
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
    /** Only its rebuild lock is used here: commands hold it shared, as live batches do. */
    private readonly projection: ProjectionRepository = new ProjectionRepository(),
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
    const known = new Map(changed.flatMap((c) => (c.row ? [[memberKey(c), c.row] as const] : [])));
    const written = await this.membersOf(manager, refs, known);
    await this.rekey(manager, written, refs, rules);
    return this.cascade(manager, refs, rules, causesOf(changed), known);
  }

  /**
   * Recomputes every group of the tenant (of one kind, or both): after its rules changed or a
   * manual decision was recorded, in the command's transaction. Publish what it returns on the
   * state-changes topic, as the projector publishes a batch's (ProjectionConsumer).
   */
  async reevaluateTenant(
    manager: EntityManager,
    tenantId: string,
    kind: UnifiedKind | undefined,
    cause: UnifiedCause,
  ): Promise<StateChange[]> {
    if (!this.settings.enabled) return [];
    // As a live batch: never while a rebuild or an erase holds the tables (they hold it exclusively).
    await this.projection.holdRebuildLockShared(manager);
    await this.repository.lockTenants(manager, [tenantId]);
    const rules = await this.repository.rulesOf(manager, [tenantId]);
    const changes: StateChange[] = [];
    // Customers first: with via_customer on, the projects' groups follow the customers' ones.
    const viaCustomer = rulesFor(rules, tenantId).project.via_customer;
    const kinds = kind === 'customer' && viaCustomer ? UNIFIED_KINDS : kind ? [kind] : UNIFIED_KINDS;
    for (const each of kinds) {
      const members = await this.repository.allMembers(manager, tenantId, each);
      const refs = members.map((m) => ({ tenantId, kind: each, id: m.id }));
      await this.rekey(manager, members, refs, rules);
      const byPartition = new Map([[partitionOf({ tenantId, kind: each }), cause]]);
      const causes = { byMember: new Map(), byPartition };
      const state = await this.repository.scopeState(manager, refs);
      changes.push(...(await this.recompute(manager, state, rules, causes)).changes);
    }
    return changes;
  }

  /**
   * Recomputes only the groups around these records: after a manual decision about one of them
   * (recorded or removed), in the command's transaction. Cheaper than reevaluateTenant, and the
   * same outcome, since a decision changes no key: the groups it can alter are the record's, its
   * target's and those its old group held. Publish what it returns as reevaluateTenant's.
   */
  async reevaluateRecords(
    manager: EntityManager,
    refs: MemberRef[],
    cause: UnifiedCause,
  ): Promise<StateChange[]> {
    if (!this.settings.enabled || refs.length === 0) return [];
    const tenants = [...new Set(refs.map((ref) => ref.tenantId))];
    await this.projection.holdRebuildLockShared(manager);
    await this.repository.lockTenants(manager, tenants);
    const rules = await this.repository.rulesOf(manager, tenants);
    const byPartition = new Map(
      refs.flatMap((ref) => UNIFIED_KINDS.map((kind) => [partitionOf({ ...ref, kind }), cause] as const)),
    );
    return this.cascade(manager, uniqueRefs(refs.map(toRef)), rules, { byMember: new Map(), byPartition });
  }

  /**
   * Recomputes the groups the seeds' changes can alter: customers first, then projects, with the
   * projects that name a customer whose unified record changed (via_customer), whose groups follow.
   */
  private async cascade(
    manager: EntityManager,
    seeds: MemberRef[],
    rules: Map<string, LinkingRules>,
    causes: Causes,
    known: ReadonlyMap<string, MemberRow> = new Map(),
  ): Promise<StateChange[]> {
    const customers = seeds.filter((ref) => ref.kind === 'customer');
    const projects = seeds.filter((ref) => ref.kind === 'project');
    const changes: StateChange[] = [];
    if (customers.length > 0) {
      const done = await this.recompute(
        manager,
        await this.repository.scopeState(manager, await this.repository.reachable(manager, customers)),
        rules,
        causes,
        known,
      );
      changes.push(...done.changes);
      const moved = done.moved.filter(
        (ref) => ref.kind === 'customer' && rulesFor(rules, ref.tenantId).project.via_customer,
      );
      const keys = moved.map((ref) => ({
        tenantId: ref.tenantId,
        kind: 'project' as const,
        id: `${CUSTOMER_KEY}${ref.id}`,
      }));
      projects.push(...(await this.repository.holdersOf(manager, keys)));
      for (const ref of moved) {
        // Projects regrouped by a customer's change are caused by it.
        const cause = causes.byPartition.get(partitionOf(ref));
        const projectPartition = partitionOf({ ...ref, kind: 'project' });
        if (cause && !causes.byPartition.has(projectPartition))
          causes.byPartition.set(projectPartition, cause);
      }
    }
    if (projects.length > 0) {
      const scope = await this.repository.reachable(manager, projects);
      const state = await this.repository.scopeState(manager, scope);
      changes.push(...(await this.recompute(manager, state, rules, causes, known)).changes);
    }
    return changes;
  }

  /** Replaces the records' match keys by what the rules make of their documents now. */
  private async rekey(
    manager: EntityManager,
    members: MemberRow[],
    refs: MemberRef[],
    rules: Map<string, LinkingRules>,
  ): Promise<void> {
    const keys: KeyRow[] = members.flatMap((m) =>
      linkKeys(m.kind, m, rulesFor(rules, m.tenant_id)).map((key) => ({
        tenant_id: m.tenant_id,
        kind: m.kind,
        member_id: m.id,
        key,
      })),
    );
    // A ref without a member (its record is gone) keeps no key.
    await this.repository.replaceKeys(manager, refs, keys);
  }

  /** The records, those the caller already holds from memory and the others from their tables. */
  private async membersOf(
    manager: EntityManager,
    refs: MemberRef[],
    known: ReadonlyMap<string, MemberRow>,
  ): Promise<MemberRow[]> {
    const held = refs.flatMap((ref) => {
      const row = known.get(memberKey(ref));
      return row ? [row] : [];
    });
    const missing = refs.filter((ref) => !known.has(memberKey(ref)));
    return [...held, ...(await this.repository.members(manager, missing))];
  }

  /**
   * Recomputes the groups of `state.scope` (closed: no edge leaves it) and writes what changed.
   * `state` was read after the scope's keys were replaced; the customers' groups a project's
   * `cust:` keys name are read here, after the customers were recomputed.
   */
  private async recompute(
    manager: EntityManager,
    state: ScopeState,
    rules: Map<string, LinkingRules>,
    causes: Causes,
    known: ReadonlyMap<string, MemberRow> = new Map(),
  ): Promise<{ changes: StateChange[]; moved: MemberRef[] }> {
    const members = await this.membersOf(manager, state.scope, known);
    const existing = new Set(members.map((m) => memberKey(memberRef(m))));
    const keys = await this.customerGroupKeys(manager, keysOfExisting(state.keys, existing));
    const decisions = decisionsAroundExisting(state.decisions, existing);
    const oldLinks = state.links;
    const outcomes = groupOutcomes(members, keys, decisions, rules, causes);
    const oldIds = uniqueRefs(
      oldLinks.map((l) => ({ tenantId: l.tenant_id, kind: l.kind, id: l.unified_id })),
    );
    const newIds = outcomes.map((o) => ({ tenantId: o.tenantId, kind: o.kind, id: o.unifiedId }));
    const live = new Set(newIds.map(memberKey));
    const oldLinkOf = new Map(oldLinks.map((l) => [memberKey(linkRef(l)), l]));
    const replaces = outcomes.map((o) => replacesOf(o, oldLinkOf, live));
    // The records replaced are read too (with the state): a group whose id changed continues one of them.
    const headById = await this.headsOf(manager, state.heads, newIds);
    const previous = outcomes.map((o, i) => previousOf(o, headById, replaces[i] ?? []));
    // Provenance and conflicts are read only where the document and members stayed the same:
    // there they decide whether the row is written at all. Elsewhere it is written anyway.
    const same = outcomes.filter((o, i) => previous[i]?.documentSame && previous[i].membersSame);
    const full = await this.repository.unifiedRecords(manager, same.map(unifiedRef));
    const fullById = new Map(full.map((row) => [memberKey({ ...row, tenantId: row.tenant_id }), row]));
    const recordChanges = outcomes.map((o, i) =>
      recordChange(o, previous[i] ?? null, fullById.get(memberKey(unifiedRef(o))) ?? null, replaces[i] ?? []),
    );
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
    const linkChanges = outcomes.flatMap((o, i) => linkChangesOf(o, oldLinkOf, oldSizes, replaces[i]));
    await this.repository.saveLinks(
      manager,
      linkChanges.filter((c) => c.changed).map((c) => c.row),
    );
    const moved = linkChanges
      .filter((c) => oldLinkOf.get(memberKey(linkRef(c.row)))?.unified_id !== c.row.unified_id)
      .map((c) => linkRef(c.row));
    return {
      changes: [
        ...recordChanges.flatMap((c) => (c.event ? [c.event] : [])),
        ...linkChanges.flatMap((c) => c.events),
      ],
      moved,
    };
  }

  /**
   * The heads of the unified records the groups had (read with the scope's state) and of their new
   * ids: only a new id no member was linked to is read here, in case its record exists.
   */
  private async headsOf(
    manager: EntityManager,
    read: UnifiedRecordHead[],
    newIds: MemberRef[],
  ): Promise<Map<string, UnifiedRecordHead>> {
    const headById = new Map(read.map((row) => [memberKey({ ...row, tenantId: row.tenant_id }), row]));
    const unread = uniqueRefs(newIds.filter((ref) => !headById.has(memberKey(ref))));
    for (const row of await this.repository.unifiedRecordHeads(manager, unread))
      headById.set(memberKey({ ...row, tenantId: row.tenant_id }), row);
    return headById;
  }

  /**
   * Projects' `cust:<record>` keys as `cgrp:<that customer's unified id>`: two projects link when
   * their customers are one unified customer, whichever of its records each names. Customers are
   * recomputed before projects, so these are the groups as this transaction leaves them.
   */
  private async customerGroupKeys(manager: EntityManager, keys: KeyRow[]): Promise<KeyRow[]> {
    const named = keys.filter((k) => k.kind === 'project' && k.key.startsWith(CUSTOMER_KEY));
    if (named.length === 0) return keys;
    const customers = named.map((k) => ({
      tenantId: k.tenant_id,
      kind: 'customer' as const,
      id: k.key.slice(CUSTOMER_KEY.length),
    }));
    const links = await this.repository.linksOf(manager, uniqueRefs(customers));
    const groupOf = new Map(links.map((l) => [memberKey(linkRef(l)), l.unified_id]));
    return keys.map((k) => {
      if (k.kind !== 'project' || !k.key.startsWith(CUSTOMER_KEY)) return k;
      const customer = {
        tenantId: k.tenant_id,
        kind: 'customer' as const,
        id: k.key.slice(CUSTOMER_KEY.length),
      };
      // A customer not (yet) in unified_links stands for itself.
      return { ...k, key: `${CUSTOMER_GROUP_KEY}${groupOf.get(memberKey(customer)) ?? customer.id}` };
    });
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
    pushTo(keysOf, memberKey(linkRef(k)), k.key);
  }
  const decisionOf = new Map(decisions.map((d) => [memberKey(linkRef(d)), d]));
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

function rulesFor(rules: Map<string, LinkingRules>, tenantId: string): LinkingRules {
  const found = rules.get(tenantId);
  if (!found) throw new Error(`no linking rules loaded for tenant ${tenantId}`);
  return found;
}

function toRef(ref: MemberRef): MemberRef {
  return { tenantId: ref.tenantId, kind: ref.kind, id: ref.id };
}

/** The record a key, link or decision row is about. */
function linkRef(link: Pick<LinkRow, 'tenant_id' | 'kind' | 'member_id'>): MemberRef {
  return { tenantId: link.tenant_id, kind: link.kind, id: link.member_id };
}

function uniqueRefs(refs: MemberRef[]): MemberRef[] {
  return [...new Map(refs.map((ref) => [memberKey(ref), ref])).values()];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function memberRef(row: MemberRow): MemberRef {
  return { tenantId: row.tenant_id, kind: row.kind, id: row.id };
}

/** The keys of the records that exist (a record gone keeps none, but its ref may be in a scope). */
function keysOfExisting(keys: KeyRow[], existing: ReadonlySet<string>): KeyRow[] {
  return keys.filter((k) => existing.has(memberKey(linkRef(k))));
}

/** The decisions about records that exist, and those whose link names one of them. */
function decisionsAroundExisting(decisions: DecisionRow[], existing: ReadonlySet<string>): DecisionRow[] {
  return decisions.filter((d) => {
    const about = (id: string | null) =>
      id !== null && existing.has(memberKey({ tenantId: d.tenant_id, kind: d.kind, id }));
    return about(d.member_id) || about(d.target_member_id);
  });
}
