import { ApiProperty } from '@nestjs/swagger';
import { PROVIDERS } from '@hub/contracts';

const TIME = { type: String, format: 'date-time' } as const;
const DOCUMENT = {
  type: 'object',
  additionalProperties: true,
  description: "the entity's canonical fields (see the README's field lists)",
} as const;

export class EntityView {
  @ApiProperty({ example: 'opensolar:8812', description: '<provider>:<id at the provider>' })
  id: string;

  @ApiProperty({ type: 'integer', description: 'one more with each change applied' })
  version: number;

  @ApiProperty({ enum: PROVIDERS })
  provider: string;

  @ApiProperty({ type: [String], description: 'the sources (src_…) that fed it' })
  sources: string[];

  @ApiProperty(TIME)
  created_at: string;

  @ApiProperty(TIME)
  updated_at: string;

  @ApiProperty(DOCUMENT)
  document: Record<string, unknown>;
}

export class HistoryEntryView {
  @ApiProperty({ type: 'integer' })
  version: number;

  @ApiProperty()
  event_id: string;

  @ApiProperty({ example: 'project.updated' })
  event_type: string;

  @ApiProperty({ type: [String], description: 'the fields this version changed' })
  changed_fields: string[];

  @ApiProperty(TIME)
  applied_at: string;

  @ApiProperty({ ...DOCUMENT, description: 'the whole document as of this version' })
  document: object;
}

export class ActivityEntryView {
  @ApiProperty()
  event_id: string;

  @ApiProperty({ example: 'project.email.sent' })
  type: string;

  @ApiProperty(TIME)
  occurred_at: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  data: object;
}
