import { IsObject, IsOptional, IsString, Length } from 'class-validator';
import { ACTIVITY_TYPES } from '@hub/contracts';
import { firstId, optionalString, unmappable } from '../mapping-fields.js';
import type { MappedDelivery, ProviderMapping } from '../provider.js';

/** `{"event": "Site Plan Change", "data": {...}}`. */
export class CaseSolvedEvent {
  @IsString()
  @Length(1, 200)
  event: string;

  /** Optional here: CaseSolved's Webhook Validate may come without it, and must still get its OK. */
  @IsOptional()
  @IsObject()
  data?: Record<string, unknown>;
}

export const CASESOLVED_VALIDATE_EVENT = 'Webhook Validate';

export const casesolvedMapping: ProviderMapping<CaseSolvedEvent> = {
  payload: CaseSolvedEvent,
  map(payload: CaseSolvedEvent): MappedDelivery {
    if (payload.event === CASESOLVED_VALIDATE_EVENT) return { kind: 'handshake' };
    if (!payload.data) throw unmappable('data must be an object');
    const projectId = firstId(payload.data, ['project_id', 'project', 'id'], 'data.');
    if (!projectId) throw unmappable('data.project_id (or data.id) is required');
    const type =
      payload.event === 'Site Plan Change' ? ACTIVITY_TYPES.sitePlanChanged : otherActivity(payload.event);
    const time = optionalString(payload.data['updated_at'] ?? payload.data['timestamp']);
    return {
      kind: 'events',
      events: [
        {
          topic: 'projects',
          type,
          externalId: projectId,
          ...(time ? { time } : {}),
          data: { project_external_id: projectId, provider_event: payload.event, details: payload.data },
        },
      ],
    };
  },
};

function otherActivity(event: string): string {
  const name = snakeCase(event);
  if (!name) throw unmappable('event must name the event in letters or digits');
  return `activity.${name}`;
}

function snakeCase(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}
