import { createHash } from 'node:crypto';
import type { OutgoingMessage } from '@hub/bus';

/** Canonical events as ingest publishes them, for tests that feed the projector directly. */
export interface EventSpec {
  tenant: string;
  provider?: string;
  type?: string;
  externalId: string;
  data?: Record<string, unknown>;
  /** Distinguishes deliveries of the same content (Pylon resending a project in a later batch). */
  delivery?: string;
  providerUpdatedAt?: string;
  source?: string;
}

export function canonicalEvent(spec: EventSpec): Record<string, unknown> {
  const provider = spec.provider ?? 'pylon-observer';
  const subject = `${provider}:${spec.externalId}`;
  const type = spec.type ?? 'project.upserted';
  const data = {
    id: subject,
    external_id: spec.externalId,
    ...(spec.providerUpdatedAt ? { provider_updated_at: spec.providerUpdatedAt } : {}),
    ...spec.data,
  };
  const id = `evt_${createHash('sha256')
    .update(JSON.stringify([spec.tenant, subject, type, data, spec.delivery ?? '']))
    .digest('hex')
    .slice(0, 32)}`;
  return {
    specversion: '1.0',
    id,
    source: `/sources/${spec.source ?? 'src_test'}`,
    type,
    subject,
    time: spec.providerUpdatedAt ?? '2026-11-22T10:00:00.000Z',
    datacontenttype: 'application/json',
    tenant: spec.tenant,
    provider,
    data,
  };
}

export function asMessage(event: Record<string, unknown>): OutgoingMessage {
  return {
    key: `${String(event['tenant'])}/${String(event['subject'])}`,
    value: JSON.stringify(event),
    headers: { 'content-type': 'application/cloudevents+json' },
  };
}
