import {
  DATA_CONTENT_TYPE,
  deterministicEventId,
  SPEC_VERSION,
  type RecordLinkData,
  type UnifiedStateChangeData,
} from '@hub/contracts';
import { changedPaths, deepEqual, diffDocuments } from '../projection/change-detection.js';
import type { StateChange } from '../projection/state-change.js';
import type { Group } from './components.js';
import type { UnifiedKind } from './linking-rules.js';
import { canonicalJson, type Merged } from './merge.js';
import { normaliseEmail } from './normalise.js';
import type {
  LinkRow,
  MemberRef,
  MemberRow,
  UnifiedRecordHead,
  UnifiedRecordRow,
  UnifiedRecordWrite,
} from './unified.repository.js';

/*
 * What a recomputed group changes (docs/adr/0017): its unified record's row and
 * `unified_*.created|updated`, its members' link rows and `<kind>.linked|unlinked`. Pure: the
 * engine (UnifiedService) reads what they compare with and writes what they return.
 */

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

const ENTITY_TYPE: Record<UnifiedKind, 'unified_customer' | 'unified_project'> = {
  customer: 'unified_customer',
  project: 'unified_project',
};

/** Partition key of one tenant's records of one kind. */
export const partitionOf = (ref: { tenantId: string; kind: UnifiedKind }) => `${ref.tenantId}\0${ref.kind}`;
export const memberKey = (ref: MemberRef) => `${ref.tenantId}\0${ref.kind}\0${ref.id}`;

/** What one recomputation found for one group. */
export interface GroupOutcome {
  tenantId: string;
  kind: UnifiedKind;
  unifiedId: string;
  group: Group;
  merged: Merged;
  members: MemberRow[];
  cause: UnifiedCause;
}

/** A group's stored unified record, as far as the merge's result differs from it. */
export interface Previous {
  head: UnifiedRecordHead;
  /**
   * The head is another id's: the group's id changed (a member with a smaller id joined) and this
   * is the replaced record with the most members in common. Its version and document carry on.
   */
  predecessor: boolean;
  documentSame: boolean;
  membersSame: boolean;
}

/**
 * What a group's result is compared with: its own stored record, else, when its id is new and it
 * replaces stored records, the one of them with the most members in common (the smallest id on a
 * tie), its document read with the new id. Null: a group new in every way.
 */
export function previousOf(
  outcome: GroupOutcome,
  heads: Map<string, UnifiedRecordHead>,
  replaces: readonly string[],
): Previous | null {
  const own = heads.get(memberKey(unifiedRef(outcome)));
  const memberIds = outcome.members.map((m) => m.id);
  if (own)
    return {
      head: own,
      predecessor: false,
      documentSame: deepEqual(own.document, outcome.merged.document),
      membersSame: own.members.join('\0') === memberIds.join('\0'),
    };
  const ids = new Set(memberIds);
  let best: { head: UnifiedRecordHead; shared: number } | null = null;
  // `replaces` is sorted: on a tie the first, smallest id stays.
  for (const id of replaces) {
    const head = heads.get(memberKey({ tenantId: outcome.tenantId, kind: outcome.kind, id }));
    if (!head) continue;
    const shared = head.members.filter((m) => ids.has(m)).length;
    if (!best || shared > best.shared) best = { head, shared };
  }
  if (!best) return null;
  return {
    head: { ...best.head, document: asOf(best.head.document, outcome.unifiedId) },
    predecessor: true,
    documentSame: deepEqual(asOf(best.head.document, outcome.unifiedId), outcome.merged.document),
    membersSame: false,
  };
}

/** A predecessor's document under the group's new id: the id alone changing changes no field. */
function asOf(document: Record<string, unknown>, unifiedId: string): Record<string, unknown> {
  return { ...document, id: unifiedId };
}

/**
 * The unified ids a group's members had before that no group has after this recomputation: the
 * records it took the members of (groups merged, or its id changed). Sorted.
 */
export function replacesOf(
  outcome: GroupOutcome,
  oldLinkOf: Map<string, LinkRow>,
  live: ReadonlySet<string>,
): string[] {
  const { tenantId, kind, unifiedId } = outcome;
  const ids = new Set<string>();
  for (const member of outcome.group.members) {
    const old = oldLinkOf.get(memberKey({ tenantId, kind, id: member }))?.unified_id;
    if (old && old !== unifiedId && !live.has(memberKey({ tenantId, kind, id: old }))) ids.add(old);
  }
  return [...ids].sort();
}

export function unifiedRef(outcome: GroupOutcome): MemberRef {
  return { tenantId: outcome.tenantId, kind: outcome.kind, id: outcome.unifiedId };
}

/**
 * A group's unified record row and its state change, when either changed. A group whose id changed
 * continues its predecessor (see previousOf): `unified_*.updated` with `replaces`, and only when
 * the document changed; never a `created`.
 */
export function recordChange(
  outcome: GroupOutcome,
  stored: Previous | null,
  full: UnifiedRecordRow | null,
  replaces: readonly string[],
): { write: UnifiedRecordWrite | null; event: StateChange | null } {
  const { tenantId, kind, unifiedId, merged, members } = outcome;
  const previous = stored?.head ?? null;
  const documentChanged = !stored?.documentSame;
  const memberIds = members.map((m) => m.id);
  // Plain JSON compares: the merge builds provenance and conflicts in one key order, and their
  // json columns give the text back as written.
  const times = recordTimes(outcome);
  const unchanged =
    full !== null &&
    JSON.stringify(full.provenance) === JSON.stringify(merged.provenance) &&
    JSON.stringify(full.conflicts) === JSON.stringify(merged.conflicts) &&
    sameTime(full.created_at, times.createdAt) &&
    sameTime(full.updated_at, times.updatedAt);
  if (unchanged) return { write: null, event: null };
  const version = documentChanged ? (previous?.version ?? 0) + 1 : (previous?.version ?? 1);
  const write = recordWrite(outcome, version, times);
  if (!documentChanged) return { write, event: null };
  const root = ENTITY_TYPE[kind];
  const paths = previous
    ? diffDocuments(previous.document, merged.document, root).paths
    : changedPaths(undefined, merged.document, root);
  const data: UnifiedStateChangeData = {
    entity_type: root,
    entity_id: unifiedId,
    version,
    changed_fields: paths,
    document: merged.document,
    members: memberIds,
    ...(replaces.length > 0 ? { replaces: [...replaces] } : {}),
    caused_by: outcome.cause.id,
  };
  const type = `${root}.${previous ? 'updated' : 'created'}`;
  const id = deterministicEventId([tenantId, root, unifiedId, String(version), outcome.cause.id]);
  return { write, event: stateChange(tenantId, unifiedId, type, id, outcome.cause, data) };
}

/**
 * A unified record's times, from its members' (each one's provider time, else the time of the
 * canonical event that last changed it), never the time it was written: a rebuild gives the same.
 * `createdAt` is the earliest of its members' times, `updatedAt` the newest time of a member whose
 * value the document shows (its provenance), or `createdAt` when it shows none. Members without a
 * time (rows older than the unified migration, until a rebuild) leave only the cause's time.
 */
export function recordTimes(outcome: GroupOutcome): { createdAt: string; updatedAt: string } {
  let earliest = Infinity;
  for (const m of outcome.members) if (m.time) earliest = Math.min(earliest, new Date(m.time).getTime());
  const createdAt = Number.isFinite(earliest) ? new Date(earliest).toISOString() : outcome.cause.time;
  let newest = -Infinity;
  for (const field of Object.values(outcome.merged.provenance))
    if (field.time) newest = Math.max(newest, Date.parse(field.time));
  const updatedAt = Number.isFinite(newest) ? new Date(newest).toISOString() : createdAt;
  return { createdAt, updatedAt };
}

function sameTime(stored: Date | string, time: string): boolean {
  return new Date(stored).getTime() === Date.parse(time);
}

function recordWrite(
  outcome: GroupOutcome,
  version: number,
  times: { createdAt: string; updatedAt: string },
): UnifiedRecordWrite {
  const { tenantId, kind, unifiedId, merged, members } = outcome;
  const document = merged.document;
  return {
    tenantId,
    kind,
    id: unifiedId,
    version,
    createdAt: times.createdAt,
    updatedAt: times.updatedAt,
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
export function linkChangesOf(
  outcome: GroupOutcome,
  oldLinkOf: Map<string, LinkRow>,
  oldSizes: Map<string, number>,
  replaces: readonly string[] = [],
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
      events.push(linkEvent(outcome, member, 'linked', row, old ? replaces : []));
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
  replaces: readonly string[] = [],
): StateChange {
  const { tenantId, kind, unifiedId, cause } = outcome;
  const data: RecordLinkData = {
    changed_fields: [`${ENTITY_TYPE[kind]}.members`],
    unified_id: unifiedId,
    // A follower that knew the record under a replaced id learns the new one here.
    ...(replaces.length > 0 ? { replaces: [...replaces] } : {}),
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

function textOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
