import { ApiProperty } from '@nestjs/swagger';
import { ENTITY_TYPES } from '../projection/projection.repository.js';

export const JSON_TYPES = ['object', 'array', 'string', 'number', 'boolean', 'null'] as const;

export class FieldView {
  @ApiProperty({ enum: ENTITY_TYPES })
  entity_type: string;

  @ApiProperty({
    example: 'project.systems.modules',
    description: 'in the subscription field-path grammar: rooted at the entity type, arrays not indexed',
  })
  path: string;

  @ApiProperty({ enum: JSON_TYPES, isArray: true, description: 'the JSON types seen at the path, sorted' })
  types: string[];

  @ApiProperty({ type: 'integer', description: 'how many of the documents looked at carry the path' })
  documents: number;
}
