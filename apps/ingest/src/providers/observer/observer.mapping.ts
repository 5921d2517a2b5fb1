import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { optionalId, optionalString, unmappable, unmapped } from '../mapping-fields.js';
import type { MappedDelivery, ProviderMapping } from '../provider.js';

export const OBSERVER_EVENT_TYPES = [
  'metric.status_changed',
  'metric.no_data',
  'page.status_changed',
  'slo.burn_started',
  'slo.burn_resolved',
  'agent.offline',
] as const;

type ObserverEventType = (typeof OBSERVER_EVENT_TYPES)[number];

/** One Observer event. Its shape beyond `type` and `id` varies by type and is kept as it came. */
export class ObserverEvent {
  @IsOptional()
  @IsString()
  @Length(1, 200)
  id?: string;

  @IsIn(OBSERVER_EVENT_TYPES, { message: `type must be one of ${OBSERVER_EVENT_TYPES.join(', ')}` })
  type: ObserverEventType;

  [field: string]: unknown;
}

export const observerMapping: ProviderMapping<ObserverEvent> = {
  payload: ObserverEvent,
  map(event: ObserverEvent): MappedDelivery {
    const kind = event.type.split('.')[0] as 'metric' | 'page' | 'slo' | 'agent';
    const monitorId = monitorIdOf(event, kind);
    const time = optionalString(event['occurred_at'] ?? event['timestamp'] ?? event['time']);
    const subjectObject = event[kind];
    return {
      kind: 'events',
      // No timestamp to bound replays: Observer's own event id is the deduplication key.
      ...(event.id ? { deliveryId: event.id } : {}),
      events: [
        {
          topic: 'monitoring',
          type: `monitoring.${event.type}`,
          externalId: `${kind}:${monitorId}`,
          ...(time ? { time } : {}),
          data: {
            external_id: monitorId,
            monitor_kind: kind,
            event_type: event.type,
            provider_event_id: event.id ?? null,
            status: optionalString(event['status'] ?? objectField(subjectObject, 'status')),
            name: optionalString(event['name'] ?? objectField(subjectObject, 'name')),
            attributes: unmapped(event, ['id', 'type']),
          },
        },
      ],
    };
  },
};

/** The monitored thing's id: `<kind>.id`, `<kind>_id`, else unmapped naming the field. */
function monitorIdOf(event: ObserverEvent, kind: string): string {
  const id =
    optionalId(objectField(event[kind], 'id'), `${kind}.id`) ?? optionalId(event[`${kind}_id`], `${kind}_id`);
  if (!id) throw unmappable(`${kind}.id (or ${kind}_id) is required for ${event.type}`);
  return id;
}

function objectField(value: unknown, field: string): unknown {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)[field]
    : undefined;
}
