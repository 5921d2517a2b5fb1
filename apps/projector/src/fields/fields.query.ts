import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '@hub/runtime';
import { ENTITY_TYPES, type EntityType } from '../projection/projection.repository.js';

export class FieldsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ENTITY_TYPES, description: 'only this entity type; all three when absent' })
  @IsOptional()
  @IsIn(ENTITY_TYPES)
  entity_type?: EntityType;
}
