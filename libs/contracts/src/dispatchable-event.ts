import { deterministicEventId } from './canonical-event.js';

/**
 * What the dispatcher reads from the state-changes topic: the projector's `*.created` /
 * `*.updated` changes, activity and monitoring events passed through, and the operational events
 * the dispatcher publishes itself. All are CloudEvents with the tenant as an extension.
 */
export interface DispatchableEvent {
  specversion: '1.0';
  id: string;
  type: string;
  source: string;
  subject: string;
  time: string;
  tenant: string;
  data: Record<string, unknown>;
}

/** Events about the dispatcher's own work, which ops subscribe to like any other type. */
export const OPERATIONAL_TYPES = {
  deliveryExhausted: 'delivery.exhausted',
  subscriptionDisabled: 'subscription.disabled',
  subscriptionRecovered: 'subscription.recovered',
} as const;

export type OperationalType = (typeof OPERATIONAL_TYPES)[keyof typeof OPERATIONAL_TYPES];

export function isOperationalType(type: string): boolean {
  return Object.values<string>(OPERATIONAL_TYPES).includes(type);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TYPE = /^[A-Za-z0-9._-]{1,100}$/;
const ID = /^[A-Za-z0-9_:.-]{1,200}$/;

/**
 * Checks one message of the state-changes topic by hand: it runs for every message the
 * dispatcher reads, where class-validator would cost more than the matching itself.
 */
export function parseDispatchableEvent(raw: string): { event: DispatchableEvent } | { error: string } {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { error: 'the message is not JSON' };
  }
  if (!isRecord(body)) return { error: 'the message is not a JSON object' };
  const problems: string[] = [];
  if (body['specversion'] !== '1.0') problems.push('specversion must be 1.0');
  if (!isString(body['id']) || !ID.test(body['id'])) problems.push('id must be an event id');
  if (!isString(body['type']) || !TYPE.test(body['type'])) problems.push('type must be an event type');
  if (!isString(body['source'])) problems.push('source must be a string');
  if (!isString(body['subject']) || body['subject'].length > 400) problems.push('subject must be a string');
  if (!isString(body['time']) || Number.isNaN(Date.parse(body['time']))) problems.push('time must be a date');
  if (!isString(body['tenant']) || !UUID.test(body['tenant'])) problems.push('tenant must be a UUID');
  if (!isRecord(body['data'])) problems.push('data must be an object');
  if (problems.length > 0) return { error: `not a dispatchable event: ${problems.join('; ')}` };
  return { event: body as unknown as DispatchableEvent };
}

/** An operational event; `parts` make its id deterministic, so a retried publish is deduplicated. */
export function operationalEvent(
  type: OperationalType,
  tenant: string,
  subject: string,
  data: Record<string, unknown>,
  parts: string[],
): DispatchableEvent {
  return {
    specversion: '1.0',
    id: deterministicEventId([tenant, type, subject, ...parts]),
    type,
    source: `/tenants/${tenant}/dispatcher`,
    subject,
    time: new Date().toISOString(),
    tenant,
    data,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
