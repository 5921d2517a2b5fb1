import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsString, Length, Matches, MinDate } from 'class-validator';
import { PROVIDERS, SOURCE_ID } from '@hub/contracts';
import { PageQuery } from '@hub/runtime';
import type { ListFilters } from './read-model.repository.js';

/** The earliest time a filter takes: Postgres timestamps reach 4713 BC, JavaScript dates further. */
export const EARLIEST_TIME = new Date('0001-01-01T00:00:00Z');

/**
 * Paging and the filters every list takes; per-entity filters extend it. The unified records'
 * lists take the same (a unified record matches by any of its members: provider, source, ids).
 */
export class ListQuery extends PageQuery {
  @ApiPropertyOptional({
    description: 'only entities (unified records) updated at or after this ISO 8601 time',
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
    description: 'only entities of this provider (unified records: with a member of it)',
  })
  @IsOptional()
  @IsIn(PROVIDERS)
  provider?: string;

  @ApiPropertyOptional({
    description: 'only entities fed by this source, src_… (unified records: a member fed by it)',
  })
  @IsOptional()
  @Matches(SOURCE_ID, { message: 'source must be a source id (src_…)' })
  source?: string;

  @ApiPropertyOptional({
    description:
      'search: entities (unified records: by any member) whose id, external id, reference number ' +
      '(projects), name or email ' +
      "(customers) contains this text, case-insensitively. A scan of the tenant's rows (ILIKE), " +
      'meant for a console, not for bulk reads',
    minLength: 1,
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @Length(1, 200, { message: 'q must be 1 to 200 characters' })
  q?: string;
}

export class ProjectListQuery extends ListQuery {
  @ApiPropertyOptional({ description: 'project stage, exact match' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  stage?: string;
}

export class CustomerListQuery extends ListQuery {
  @ApiPropertyOptional({ description: 'status, exact match' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  status?: string;

  @ApiPropertyOptional({ description: 'customer email, case-insensitive exact match' })
  @IsOptional()
  @IsString()
  @Length(3, 320)
  email?: string;
}

export class MonitorListQuery extends ListQuery {
  @ApiPropertyOptional({ enum: ['metric', 'page', 'slo', 'agent'] })
  @IsOptional()
  @IsIn(['metric', 'page', 'slo', 'agent'])
  kind?: string;

  @ApiPropertyOptional({ description: 'status, exact match' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  status?: string;
}

/** What a list's query asks of the repository: the filters given, and the typed columns set. */
export function listFiltersOf(query: ListQuery, columns: Record<string, string | undefined>): ListFilters {
  return {
    ...(query.updated_since ? { updatedSince: query.updated_since } : {}),
    ...(query.provider ? { provider: query.provider } : {}),
    ...(query.source ? { source: query.source } : {}),
    ...(query.q ? { search: query.q } : {}),
    columns: Object.fromEntries(
      Object.entries(columns).filter((entry): entry is [string, string] => !!entry[1]),
    ),
  };
}
