import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  buildStateChange,
  canonicalEntityId,
  deterministicEventId,
  stateChangeEnvelope,
  storableTime,
  type CanonicalEvent,
  type StateChangeData,
} from '@hub/contracts';
import { changedPaths, diffDocuments, type DocumentPatch } from './change-detection.js';
import { UnifiedService, type ChangedRecord } from '../unified/unified.service.js';
import { withMember } from './json-text.js';
import {
  ProjectionRepository,
  refKey,
  type ActivityRow,
  type EntityType,
  type EntityWrite,
  type HistoryRow,
  type StoredEntity,
} from './projection.repository.js';

import type { StateChange } from './state-change.js';

export type { StateChange } from './state-change.js';

/** What a batch changes, gathered in memory and written with a few set-based statements. */
class BatchWork {
  readonly writes = new Map<EntityType, Map<string, EntityWrite>>();
  readonly history: HistoryRow[] = [];
  readonly activities: ActivityRow[] = [];
  /** The customers and projects the batch changed, each with the event that changed it last. */
  readonly linkable = new Map<string, ChangedRecord>();

  constructor(private readonly loaded: Map<EntityType, Map<string, StoredEntity>>) {}

  /** The entity as the batch has left it so far: a write earlier in the batch wins over the row. */
  current(type: EntityType, tenantId: string, id: string): StoredEntity | null {
    const key = refKey({ tenantId, id });
    const written = this.writes.get(type)?.get(key);
    if (written) {
      return {
        document: written.document,
        version: written.version,
        provider_updated_at: written.providerUpdatedAt,
        event_time: written.eventTime,
        sources: written.sources,
      };
    }
    return this.loaded.get(type)?.get(key) ?? null;
  }

  write(type: EntityType, write: EntityWrite, cause: CanonicalEvent): void {
    const writes = this.writes.get(type) ?? new Map<string, EntityWrite>();
    writes.set(refKey(write), write);
    this.writes.set(type, writes);
    if (type === 'customer' || type === 'project') {
      this.linkable.set(`${type}/${refKey(write)}`, {
        tenantId: write.tenantId,
        kind: type,
        id: write.id,
        cause: { id: cause.id, time: cause.time, provider: cause.provider },
      });
    }
  }
}

/**
 * Applies canonical events to the read models. Called inside the consumer's transaction, so the
 * writes, the record of applied events and (on the Postgres log) the offset commit together.
 * Events are folded in order in memory (one entity may change several times in a batch), then
 * written with one statement per table.
 */
@Injectable()
export class ProjectionService {
  constructor(
    private readonly repository: ProjectionRepository,
    private readonly unified: UnifiedService,
  ) {}

  /** The state changes the events caused: none for redeliveries or snapshots that change nothing. */
  async applyBatch(manager: EntityManager, events: CanonicalEvent[]): Promise<StateChange[]> {
    const unique = [...new Map(events.map((e) => [`${e.tenant}/${e.id}`, e])).values()];
    const fresh = await this.repository.markApplied(manager, unique);
    const toApply = unique.filter((e) => fresh.has(`${e.tenant}/${e.id}`));
    const work = new BatchWork(await this.lockTouched(manager, toApply));
    const changes = toApply.flatMap((event) => this.fold(work, event));
    for (const [type, writes] of work.writes)
      await this.repository.saveEntities(manager, type, [...writes.values()]);
    await this.repository.addHistory(manager, work.history);
    await this.repository.addActivities(manager, work.activities);
    // After the entity writes, in the same transaction: the unified records see this batch's records.
    const unified = await this.unified.applyChanged(manager, [...work.linkable.values()]);
    return unified.length > 0 ? [...changes, ...unified] : changes;
  }

  private async lockTouched(manager: EntityManager, events: CanonicalEvent[]) {
    const refs = new Map<EntityType, Map<string, { tenantId: string; id: string }>>();
    for (const event of events) {
      const type = entityTypeOf(event);
      if (!type) continue;
      const byKey = refs.get(type) ?? new Map();
      byKey.set(refKey({ tenantId: event.tenant, id: event.subject }), {
        tenantId: event.tenant,
        id: event.subject,
      });
      refs.set(type, byKey);
    }
    const loaded = new Map<EntityType, Map<string, StoredEntity>>();
    for (const [type, byKey] of refs)
      loaded.set(type, await this.repository.lockEntities(manager, type, [...byKey.values()]));
    return loaded;
  }

  private fold(work: BatchWork, event: CanonicalEvent): StateChange[] {
    if (event.type === 'project.upserted') return this.foldSnapshot(work, event, 'project');
    if (event.type === 'customer.upserted') return this.foldSnapshot(work, event, 'customer');
    if (event.type.startsWith('monitoring.'))
      return [...this.foldMonitoring(work, event), passThrough(event)];
    if (event.type.startsWith('activity.')) {
      work.activities.push(activityRow(event));
      return [passThrough(event)];
    }
    // Types the projector keeps no model for (custom Standard Webhooks types) still reach subscribers.
    return [passThrough(event)];
  }

  private foldSnapshot(work: BatchWork, event: CanonicalEvent, type: EntityType): StateChange[] {
    const current = work.current(type, event.tenant, event.subject);
    const incomingTime = providerTime(event);
    if (isOlder(incomingTime, current)) return [];
    return this.change(work, event, type, current, event.data, incomingTime, typedColumns(type, event.data));
  }

  /** A monitor's document accumulates what its events say: kind, status, name, last event. */
  private foldMonitoring(work: BatchWork, event: CanonicalEvent): StateChange[] {
    const current = work.current('monitor', event.tenant, event.subject);
    const data = event.data;
    const document = {
      ...(current?.document ?? {}),
      id: event.subject,
      external_id: data['external_id'] ?? null,
      kind: data['monitor_kind'] ?? current?.document['kind'] ?? null,
      name: data['name'] ?? current?.document['name'] ?? null,
      status: statusOf(event) ?? current?.document['status'] ?? null,
      last_event: { type: event.type, time: event.time },
    };
    return this.change(work, event, 'monitor', current, document, event.time, {
      kind: stringOrNull(document.kind),
      status: stringOrNull(document.status),
    });
  }

  private change(
    work: BatchWork,
    event: CanonicalEvent,
    type: EntityType,
    current: StoredEntity | null,
    document: Record<string, unknown>,
    providerUpdatedAt: string | null,
    typed: Record<string, string | null>,
  ): StateChange[] {
    const { paths, patch } = compare(current, document, type);
    if (current && paths.length === 0) return [];
    const version = (current?.version ?? 0) + 1;
    const ref = { tenantId: event.tenant, id: event.subject };
    // Serialised once, for the entity row and the state change alike.
    const documentJson = JSON.stringify(document);
    work.write(
      type,
      {
        ...ref,
        provider: event.provider,
        sources: [...new Set([...(current?.sources ?? []), event.source])],
        document,
        documentJson,
        version,
        typed,
        providerUpdatedAt,
        eventTime: event.time,
      },
      event,
    );
    work.history.push({
      ...ref,
      type,
      version,
      eventId: event.id,
      eventType: event.type,
      paths,
      // The document is written whole once per entity; history keeps what each version changed.
      change: patch ? { patch } : { document },
    });
    const data: Omit<StateChangeData, 'document'> = {
      entity_type: type,
      entity_id: event.subject,
      version,
      changed_fields: paths,
      caused_by: event.id,
    };
    const envelope = stateChangeEnvelope(
      event,
      // One id per entity version: a re-applied event yields the same state change.
      deterministicEventId([event.tenant, type, event.subject, String(version), event.id]),
      `${type}.${current ? 'updated' : 'created'}`,
    );
    const json = withMember(envelope, 'data', withMember(data, 'document', documentJson));
    const { tenant, subject } = event;
    return [{ id: envelope.id, type: envelope.type, tenant, subject, json, causedBy: event.id }];
  }
}

/** The changed paths, and the patch from the current document when there is one. */
function compare(
  current: StoredEntity | null,
  document: Record<string, unknown>,
  type: EntityType,
): { paths: string[]; patch?: DocumentPatch } {
  if (!current) return { paths: changedPaths(undefined, document, type) };
  return diffDocuments(current.document, document, type);
}

function entityTypeOf(event: CanonicalEvent): EntityType | null {
  if (event.type === 'project.upserted') return 'project';
  if (event.type === 'customer.upserted') return 'customer';
  if (event.type.startsWith('monitoring.')) return 'monitor';
  return null;
}

function activityRow(event: CanonicalEvent): ActivityRow {
  const onProject = typeof event.data['project_external_id'] === 'string';
  return {
    tenantId: event.tenant,
    type: onProject ? 'project' : 'customer',
    id: onProject
      ? canonicalEntityId(event.provider, String(event.data['project_external_id']))
      : event.subject,
    eventId: event.id,
    eventType: event.type,
    time: event.time,
    data: event.data,
  };
}

/** Activity and monitoring events reach subscribers as their own types, with a derived id. */
function passThrough(event: CanonicalEvent): StateChange {
  const passed = buildStateChange(
    event,
    deterministicEventId([event.tenant, 'pass-through', event.id]),
    event.type,
    {
      ...event.data,
      caused_by: event.id,
    },
  );
  return {
    id: passed.id,
    type: passed.type,
    tenant: passed.tenant,
    subject: passed.subject,
    json: JSON.stringify(passed),
    causedBy: event.id,
  };
}

function providerTime(event: CanonicalEvent): string | null {
  return storableTime(event.data['provider_updated_at']);
}

/** Where the provider dates its snapshots, an older one never overwrites a newer one. */
function isOlder(incoming: string | null, current: StoredEntity | null): boolean {
  if (!incoming || !current?.provider_updated_at) return false;
  return Date.parse(incoming) < new Date(current.provider_updated_at).getTime();
}

function typedColumns(type: EntityType, document: Record<string, unknown>): Record<string, string | null> {
  if (type === 'project') {
    return {
      stage: stringOrNull(document['stage']),
      reference_number: stringOrNull(document['reference_number']),
    };
  }
  return {
    status: stringOrNull(document['status']),
    email: stringOrNull(document['email'])?.toLowerCase() ?? null,
  };
}

function statusOf(event: CanonicalEvent): string | null {
  const status = stringOrNull(event.data['status']);
  if (status) return status;
  if (event.type === 'monitoring.metric.no_data') return 'no_data';
  if (event.type === 'monitoring.agent.offline') return 'offline';
  if (event.type === 'monitoring.slo.burn_started') return 'burning';
  if (event.type === 'monitoring.slo.burn_resolved') return 'ok';
  return null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
