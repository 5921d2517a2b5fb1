import { Type } from 'class-transformer';
import { IsDate, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { PROVIDERS } from '@hub/contracts';

/** Filters every list takes; per-entity filters extend it. */
export class ListQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,600}$/, { message: 'cursor must be a next_cursor from a previous page' })
  cursor?: string;

  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'updated_since must be an ISO 8601 date-time' })
  updated_since?: Date;

  @IsOptional()
  @IsIn(PROVIDERS)
  provider?: string;

  @IsOptional()
  @Matches(/^src_[A-Za-z0-9_-]{1,64}$/, { message: 'source must be a source id (src_…)' })
  source?: string;
}

export class ProjectListQuery extends ListQuery {
  @IsOptional()
  @IsString()
  @Length(1, 200)
  stage?: string;
}

export class CustomerListQuery extends ListQuery {
  @IsOptional()
  @IsString()
  @Length(1, 200)
  status?: string;

  @IsOptional()
  @IsString()
  @Length(3, 320)
  email?: string;
}

export class MonitorListQuery extends ListQuery {
  @IsOptional()
  @IsIn(['metric', 'page', 'slo', 'agent'])
  kind?: string;

  @IsOptional()
  @IsString()
  @Length(1, 100)
  status?: string;
}
