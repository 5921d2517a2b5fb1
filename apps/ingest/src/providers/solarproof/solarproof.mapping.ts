import { IsIn, IsObject, IsOptional } from 'class-validator';
import { ACTIVITY_TYPES, SNAPSHOT_TYPES } from '@hub/contracts';
import { firstId, optionalId, optionalString, unmappable, unmapped } from '../mapping-fields.js';
import type { MappedDelivery, ProviderMapping } from '../provider.js';

export const SOLARPROOF_EVENTS = [
  'customer_created',
  'customer_status_change',
  'project_email_sent',
  'project_sms_sent',
  'published_proposal_link',
  'recent_draft_project',
] as const;
type SolarProofEvent = (typeof SOLARPROOF_EVENTS)[number];

const ACTIVITY: Record<Exclude<SolarProofEvent, 'customer_created' | 'customer_status_change'>, string> = {
  project_email_sent: ACTIVITY_TYPES.emailSent,
  project_sms_sent: ACTIVITY_TYPES.smsSent,
  published_proposal_link: ACTIVITY_TYPES.proposalLinkPublished,
  recent_draft_project: ACTIVITY_TYPES.draftSaved,
};

/**
 * Solar Proof names the event in `event` (REST-hook subscriptions name it `type_request`) and puts
 * the record either in `data` or beside the event name.
 */
export class SolarProofPayload {
  @IsOptional()
  @IsIn(SOLARPROOF_EVENTS, { message: `event must be one of ${SOLARPROOF_EVENTS.join(', ')}` })
  event?: SolarProofEvent;

  @IsOptional()
  @IsIn(SOLARPROOF_EVENTS, { message: `type_request must be one of ${SOLARPROOF_EVENTS.join(', ')}` })
  type_request?: SolarProofEvent;

  @IsOptional()
  @IsObject()
  data?: Record<string, unknown>;

  [field: string]: unknown;
}

export const solarproofMapping: ProviderMapping<SolarProofPayload> = {
  payload: SolarProofPayload,
  map(payload: SolarProofPayload): MappedDelivery {
    const event = payload.event ?? payload.type_request;
    if (!event) throw unmappable('event (or type_request) is required');
    const record = payload.data ?? unmapped(payload, ['event', 'type_request']);
    const time = optionalString(record['updated_at'] ?? record['created_at'] ?? record['date']);
    if (event === 'customer_created' || event === 'customer_status_change') {
      const customerId = requireField(record, ['customer_id', 'id'], 'data.customer_id');
      return {
        kind: 'events',
        events: [
          {
            topic: 'customers',
            type: SNAPSHOT_TYPES.customer,
            externalId: customerId,
            ...(time ? { time } : {}),
            data: {
              external_id: customerId,
              first_name: optionalString(record['first_name']),
              last_name: optionalString(record['last_name']),
              email: optionalString(record['email']),
              phone: optionalString(record['phone'] ?? record['mobile']),
              status: optionalString(record['status']),
              provider_event: event,
              attributes: unmapped(record, [
                'customer_id',
                'id',
                'first_name',
                'last_name',
                'email',
                'phone',
                'mobile',
                'status',
              ]),
            },
          },
        ],
      };
    }
    const projectId = requireField(record, ['project_id', 'id'], 'data.project_id');
    return {
      kind: 'events',
      events: [
        {
          topic: 'projects',
          type: ACTIVITY[event],
          externalId: projectId,
          ...(time ? { time } : {}),
          data: {
            project_external_id: projectId,
            customer_external_id: optionalId(record['customer_id'], 'data.customer_id'),
            provider_event: event,
            details: record,
          },
        },
      ],
    };
  },
};

function requireField(record: Record<string, unknown>, names: string[], label: string): string {
  const id = firstId(record, names, 'data.');
  if (!id) throw unmappable(`${label} is required`);
  return id;
}
