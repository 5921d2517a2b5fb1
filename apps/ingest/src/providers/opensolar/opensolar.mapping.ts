import { IsObject, IsOptional } from 'class-validator';
import { ACTIVITY_TYPES, SNAPSHOT_TYPES } from '@hub/contracts';
import { firstId, optionalId, optionalString, requiredId, unmappable, unmapped } from '../mapping-fields.js';
import type { MappedDelivery, MappedEvent, ProviderMapping } from '../provider.js';

/** The `contact.*`, `event.*` and `project.*` field objects a webhook's payload_fields select. */
export class OpenSolarPayload {
  @IsOptional()
  @IsObject()
  project?: Record<string, unknown>;

  @IsOptional()
  @IsObject()
  contact?: Record<string, unknown>;

  @IsOptional()
  @IsObject()
  event?: Record<string, unknown>;
}

const PROJECT_FIELDS = [
  'id',
  'identifier',
  'address',
  'zip',
  'state',
  'lat',
  'lon',
  'country_iso2',
  'locality',
  'county',
  'stage',
  'notes',
  'site_notes',
  'systems',
  'system_sold',
  'payment_option_sold',
  'sold_date',
  'installation_date',
  'system_installed',
  'contacts_data',
  'modified_date',
];

export const opensolarMapping: ProviderMapping<OpenSolarPayload> = {
  payload: OpenSolarPayload,
  map(payload: OpenSolarPayload): MappedDelivery {
    const events: MappedEvent[] = [];
    if (payload.project) events.push(projectEvent(payload.project));
    if (payload.contact) events.push(contactEvent(payload.contact));
    if (payload.event) events.push(activityEvent(payload.event, payload.project));
    if (events.length === 0) throw unmappable('the body must hold a project, contact or event object');
    return { kind: 'events', events };
  },
};

function projectEvent(project: Record<string, unknown>): MappedEvent {
  const id = requireId(project, 'project');
  const modified = optionalString(project['modified_date']);
  const contacts = Array.isArray(project['contacts_data']) ? (project['contacts_data'] as unknown[]) : [];
  return {
    topic: 'projects',
    type: SNAPSHOT_TYPES.project,
    externalId: id,
    ...(modified ? { time: modified } : {}),
    data: {
      external_id: id,
      reference_number: optionalString(project['identifier']),
      address: {
        street: optionalString(project['address']),
        locality: optionalString(project['locality']),
        county: optionalString(project['county']),
        state: optionalString(project['state']),
        zip: optionalString(project['zip']),
        country_iso2: optionalString(project['country_iso2']),
        lat: typeof project['lat'] === 'number' ? project['lat'] : null,
        lon: typeof project['lon'] === 'number' ? project['lon'] : null,
      },
      stage: optionalString(project['stage']),
      notes: optionalString(project['notes']),
      systems: Array.isArray(project['systems']) ? project['systems'].map(system) : [],
      system_sold: project['system_sold'] ?? null,
      sold_date: optionalString(project['sold_date']),
      installation_date: optionalString(project['installation_date']),
      system_installed: project['system_installed'] ?? null,
      customers: contacts
        .map((contact) =>
          optionalId((contact as Record<string, unknown> | null)?.['id'], 'project.contacts_data[].id'),
        )
        .filter((contactId): contactId is string => contactId !== null)
        .map((contactId) => `opensolar:${contactId}`),
      provider_updated_at: modified,
      attributes: unmapped(project, PROJECT_FIELDS),
    },
  };
}

function system(value: unknown): Record<string, unknown> {
  const s = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  return {
    price_including_tax: s['price_including_tax'] ?? null,
    output_annual_kwh: s['output_annual_kwh'] ?? null,
    kw_stc: s['kw_stc'] ?? null,
    modules: s['modules'] ?? [],
    inverters: s['inverters'] ?? [],
    batteries: s['batteries'] ?? [],
    others: s['others'] ?? [],
  };
}

function contactEvent(contact: Record<string, unknown>): MappedEvent {
  const id = requireId(contact, 'contact');
  return {
    topic: 'customers',
    type: SNAPSHOT_TYPES.customer,
    externalId: id,
    data: {
      external_id: id,
      first_name: optionalString(contact['first_name']),
      last_name: optionalString(contact['family_name']),
      email: optionalString(contact['email']),
      phone: optionalString(contact['phone']),
      status: null,
      attributes: unmapped(contact, ['id', 'first_name', 'family_name', 'email', 'phone']),
    },
  };
}

/** An `event.*` object belongs to its project's timeline. */
function activityEvent(
  event: Record<string, unknown>,
  project: Record<string, unknown> | undefined,
): MappedEvent {
  const eventId = requireId(event, 'event');
  const projectId =
    firstId(event, ['project', 'project_id'], 'event.') ?? optionalId(project?.['id'], 'project.id');
  if (!projectId) throw unmappable('event.project (the project id) is required');
  const time = optionalString(event['start'] ?? event['created_date']);
  return {
    topic: 'projects',
    type: ACTIVITY_TYPES.eventRecorded,
    externalId: projectId,
    ...(time ? { time } : {}),
    data: { project_external_id: projectId, provider_event_id: eventId, details: event },
  };
}

function requireId(record: Record<string, unknown>, name: string): string {
  return requiredId(record['id'], `${name}.id`);
}
