import { ApiProperty } from '@nestjs/swagger';
import { PROVIDERS } from '@hub/contracts';
import { ENTITY_TYPES } from '../projection/projection.repository.js';

const TIME = { type: String, format: 'date-time' } as const;

/** StateChangeData of @hub/contracts: what a subscription's trigger_fields are matched against. */
export class StateChangeDataView {
  @ApiProperty({ enum: ENTITY_TYPES })
  entity_type: string;

  @ApiProperty({ example: 'opensolar:8812' })
  entity_id: string;

  @ApiProperty({ type: 'integer' })
  version: number;

  @ApiProperty({
    type: [String],
    example: ['project.stage'],
    description: 'field paths, as subscriptions name them',
  })
  changed_fields: string[];

  @ApiProperty({ description: 'id of the canonical event that caused the change' })
  caused_by: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'the whole document after the change (keys in jsonb order, not as ingest wrote them)',
  })
  document: Record<string, unknown>;
}

/**
 * One state change, member for member the message the projector published on the state-changes
 * topic (StateChangeEvent of @hub/contracts), so a client can hand it to the dispatcher as is.
 * One difference: `time` is when the projector applied the change, as the cause's time is not kept.
 */
export class StateChangeView {
  @ApiProperty({ example: '1.0' })
  specversion: '1.0';

  @ApiProperty({ example: '/tenants/3f0c…' })
  source: string;

  @ApiProperty({ example: 'opensolar:8812', description: 'the entity id' })
  subject: string;

  @ApiProperty({ ...TIME, description: 'when the projector applied the change' })
  time: string;

  @ApiProperty({ example: 'application/json' })
  datacontenttype: 'application/json';

  @ApiProperty({ format: 'uuid' })
  tenant: string;

  @ApiProperty({ enum: PROVIDERS })
  provider: string;

  @ApiProperty({ example: 'evt_…', description: 'the published message id (one per entity version)' })
  id: string;

  @ApiProperty({ example: 'project.updated', description: '<entity type>.created or .updated' })
  type: string;

  @ApiProperty({ type: StateChangeDataView })
  data: StateChangeDataView;
}
