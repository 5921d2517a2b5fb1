import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, MinDate } from 'class-validator';
import { PageQuery } from '@hub/runtime';
import { EARLIEST_TIME } from '../read-models/read-model.query.js';
import { ENTITY_TYPES, type EntityType } from '../projection/projection.repository.js';

export class ChangesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ENTITY_TYPES, description: 'only changes of this entity type' })
  @IsOptional()
  @IsIn(ENTITY_TYPES)
  entity_type?: EntityType;

  @ApiPropertyOptional({
    description: 'only changes applied at or after this ISO 8601 time',
    type: String,
    format: 'date-time',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'since must be an ISO 8601 date-time' })
  // JavaScript dates reach 271821 BC, Postgres timestamps only 4713 BC: earlier ones would be a 500.
  @MinDate(EARLIEST_TIME, { message: 'since must be an ISO 8601 date-time from year 1 on' })
  since?: Date;
}
