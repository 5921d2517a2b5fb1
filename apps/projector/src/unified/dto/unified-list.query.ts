import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsString, Length, Matches, MinDate } from 'class-validator';
import { PROVIDERS, SOURCE_ID } from '@hub/contracts';
import { PageQuery } from '@hub/runtime';

const EARLIEST_TIME = new Date('0001-01-01T00:00:00Z');

/** The filters of /v1/customers and /v1/projects that make sense on a merged document. */
export class UnifiedListQuery extends PageQuery {
  @ApiPropertyOptional({
    description: 'only unified records updated at or after this ISO 8601 time',
    type: String,
    format: 'date-time',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'updated_since must be an ISO 8601 date-time' })
  // JavaScript dates reach 271821 BC, Postgres timestamps only 4713 BC: earlier ones would be a 500.
  @MinDate(EARLIEST_TIME, { message: 'updated_since must be an ISO 8601 date-time from year 1 on' })
  updated_since?: Date;

  @ApiPropertyOptional({
    enum: PROVIDERS,
    description: 'only unified records with a member of this provider',
  })
  @IsOptional()
  @IsIn(PROVIDERS)
  provider?: string;

  @ApiPropertyOptional({ description: 'only unified records with a member fed by this source (src_…)' })
  @IsOptional()
  @Matches(SOURCE_ID, { message: 'source must be a source id (src_…)' })
  source?: string;

  @ApiPropertyOptional({
    description:
      'search: unified records whose id, a member record id, reference number (projects), name or ' +
      "email (customers) contains this text, case-insensitively. A scan of the tenant's rows (ILIKE), " +
      'meant for a console, not for bulk reads',
    minLength: 1,
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @Length(1, 200, { message: 'q must be 1 to 200 characters' })
  q?: string;
}

export class UnifiedProjectListQuery extends UnifiedListQuery {
  @ApiPropertyOptional({ description: 'merged project stage, exact match' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  stage?: string;
}

export class UnifiedCustomerListQuery extends UnifiedListQuery {
  @ApiPropertyOptional({ description: 'merged status, exact match' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  status?: string;

  @ApiPropertyOptional({ description: 'merged email, case-insensitive exact match' })
  @IsOptional()
  @IsString()
  @Length(3, 320)
  email?: string;
}
