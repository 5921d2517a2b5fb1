import { createHash } from 'node:crypto';
import type { OutgoingMessage } from '@hub/bus';

export interface ChangeSpec {
  tenant: string;
  entityType?: 'project' | 'customer' | 'monitor';
  entityId: string;
  version: number;
  changed: string[];
  document: Record<string, unknown>;
  time?: string;
}

/** A state change as the projector publishes it, for tests that feed the dispatcher directly. */
export function stateChange(spec: ChangeSpec): Record<string, unknown> {
  const entityType = spec.entityType ?? 'project';
  const id = `evt_${createHash('sha256')
    .update(JSON.stringify([spec.tenant, entityType, spec.entityId, spec.version]))
    .digest('hex')
    .slice(0, 32)}`;
  return {
    specversion: '1.0',
    id,
    source: `/tenants/${spec.tenant}`,
    type: `${entityType}.${spec.version === 1 ? 'created' : 'updated'}`,
    subject: spec.entityId,
    time: spec.time ?? new Date().toISOString(),
    datacontenttype: 'application/json',
    tenant: spec.tenant,
    provider: 'pylon-observer',
    data: {
      entity_type: entityType,
      entity_id: spec.entityId,
      version: spec.version,
      changed_fields: spec.changed,
      document: spec.document,
      caused_by: `evt_${'0'.repeat(32)}`,
    },
  };
}

export function changeMessage(change: Record<string, unknown>): OutgoingMessage {
  return {
    key: `${String(change['tenant'])}/${String(change['subject'])}`,
    value: JSON.stringify(change),
    headers: { 'content-type': 'application/cloudevents+json' },
  };
}
