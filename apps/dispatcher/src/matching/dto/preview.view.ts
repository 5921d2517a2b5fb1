import { ApiProperty } from '@nestjs/swagger';
import { NOT_MATCHED, type NotMatchedReason } from '../matching.service.js';

export class PreviewItemView {
  @ApiProperty({ type: 'integer', description: 'the position of the change in the request' })
  index: number;

  @ApiProperty({ example: 'project.updated' })
  event_type: string;

  @ApiProperty({ description: "the change's entity id (its subject when it has none)" })
  entity_id: string;

  @ApiProperty()
  matched: boolean;

  @ApiProperty({ enum: Object.values(NOT_MATCHED), nullable: true, description: 'null when matched' })
  reason: NotMatchedReason | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      'the webhook body a real delivery would carry; its id is derived from a placeholder subscription; null when not matched',
  })
  body: Record<string, unknown> | null;
}

export class PreviewView {
  @ApiProperty({ type: [PreviewItemView], description: 'one per change, in request order' })
  data: PreviewItemView[];
}
