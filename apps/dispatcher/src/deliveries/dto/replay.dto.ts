import { IsISO8601, IsOptional } from 'class-validator';

export class ReplayDto {
  @IsISO8601({ strict: true }, { message: 'since must be an ISO 8601 date-time' })
  since: string;

  /** Absent: up to now. */
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'until must be an ISO 8601 date-time' })
  until?: string;
}
