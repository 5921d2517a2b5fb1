import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  canonicalEntityId,
  deterministicEventId,
  type CanonicalEvent,
  type StateChangeData,
} from '@hub/contracts';
import { changedPaths } from './change-detection.js';
import { ProjectionRepository, type EntityType, type StoredEntity } from './projection.repository.js';

/** A state-change event, ready to publish (CloudEvent on the state-changes topic). */
export type StateChange = CanonicalEvent<StateChangeData | Record<string, unknown>>;

/**
 * Applies canonical events to the read models. Called inside the consumer's transaction, so the
 * writes, the record of applied events and (on the Postgres log) the offset commit together.
 */
@Injectable()
export class ProjectionService {
  constructor(private readonly repository: ProjectionRepository) {}

  /** The state changes the event caused: none for a redelivery or a snapshot that changes nothing. */
  async apply(manager: EntityManager, event: CanonicalEvent): Promise<StateChange[]> {
    if (!(await this.repository.markApplied(manager, event.tenant, event.id))) return [];
    if (event.type === 'project.upserted') return this.applySnapshot(manager, event, 'project');
    if (event.type === 'customer.upserted') return this.applySnapshot(manager, event, 'customer');
    if (event.type.startsWith('monitoring.')) {
      return [...(await this.applyMonitoring(manager, event)), passThrough(event)];
    }
    if (event.type.startsWith('activity.')) {
      await this.recordActivity(manager, event);
      return [passThrough(event)];
    }
    // Types the projector keeps no model for (custom Standard Webhooks types) still reach subscribers.
    return [passThrough(event)];
  }

  private async applySnapshot(
    manager: EntityManager,
    event: CanonicalEvent,
    type: EntityType,
  ): Promise<StateChange[]> {
    const current = await this.repository.lockEntity(manager, event.tenant, type, event.subject);
    const incomingTime = providerTime(event);
    if (isOlder(incomingTime, current)) return [];
    const document = event.data;
    return this.write(manager, event, type, current, document, incomingTime, typedColumns(type, document));
  }

  /** A monitor's document accumulates what its events say: kind, status, name, last event. */
  private async applyMonitoring(manager: EntityManager, event: CanonicalEvent): Promise<StateChange[]> {
    const current = await this.repository.lockEntity(manager, event.tenant, 'monitor', event.subject);
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
    return this.write(manager, event, 'monitor', current, document, event.time, {
      kind: stringOrNull(document.kind),
      status: stringOrNull(document.status),
    });
  }

  private async write(
    manager: EntityManager,
    event: CanonicalEvent,
    type: EntityType,
    current: StoredEntity | null,
    document: Record<string, unknown>,
    providerUpdatedAt: string | null,
    typed: Record<string, string | null>,
  ): Promise<StateChange[]> {
    const paths = changedPaths(current?.document, document, type);
    if (current && paths.length === 0) return [];
    const version = (current?.version ?? 0) + 1;
    const sources = [...new Set([...(current?.sources ?? []), event.source])];
    await this.repository.saveEntity(manager, {
      tenantId: event.tenant,
      type,
      id: event.subject,
      provider: event.provider,
      sources,
      document,
      version,
      typed,
      providerUpdatedAt,
    });
    await this.repository.addHistory(manager, {
      tenantId: event.tenant,
      type,
      id: event.subject,
      version,
      eventId: event.id,
      eventType: event.type,
      paths,
      document,
    });
    const change: StateChangeData = {
      entity_type: type,
      entity_id: event.subject,
      version,
      changed_fields: paths,
      document,
      caused_by: event.id,
    };
    return [
      {
        ...envelopeFrom(event),
        // One id per entity version: a re-applied event yields the same state change.
        id: deterministicEventId([event.tenant, type, event.subject, String(version), event.id]),
        type: `${type}.${current ? 'updated' : 'created'}`,
        data: change,
      },
    ];
  }

  private async recordActivity(manager: EntityManager, event: CanonicalEvent): Promise<void> {
    const onProject = typeof event.data['project_external_id'] === 'string';
    await this.repository.addActivity(manager, {
      tenantId: event.tenant,
      type: onProject ? 'project' : 'customer',
      id: onProject
        ? canonicalEntityId(event.provider, String(event.data['project_external_id']))
        : event.subject,
      eventId: event.id,
      eventType: event.type,
      time: event.time,
      data: event.data,
    });
  }
}

function envelopeFrom(event: CanonicalEvent): Omit<StateChange, 'id' | 'type' | 'data'> {
  return {
    specversion: '1.0',
    source: `/tenants/${event.tenant}`,
    subject: event.subject,
    time: event.time,
    datacontenttype: 'application/json',
    tenant: event.tenant,
    provider: event.provider,
  };
}

/** Activity and monitoring events reach subscribers as their own types, with a derived id. */
function passThrough(event: CanonicalEvent): StateChange {
  return {
    ...envelopeFrom(event),
    id: deterministicEventId([event.tenant, 'pass-through', event.id]),
    type: event.type,
    data: { ...event.data, caused_by: event.id },
  };
}

function providerTime(event: CanonicalEvent): string | null {
  const value = event.data['provider_updated_at'];
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? new Date(value).toISOString() : null;
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
