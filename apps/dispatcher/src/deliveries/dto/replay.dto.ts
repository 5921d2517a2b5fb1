import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsISO8601, IsOptional } from 'class-validator';

export class ReplayDto {
  @ApiProperty({ format: 'date-time', description: 'deliveries created at or after this time' })
  @IsISO8601({ strict: true }, { message: 'since must be an ISO 8601 date-time' })
  since: string;

  /** Absent: up to now. */
  @ApiPropertyOptional({ format: 'date-time', description: 'and before this time; absent: up to now' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'until must be an ISO 8601 date-time' })
  until?: string;

  /** True: only count what the window holds; nothing is queued. */
  @ApiPropertyOptional({
    description: 'true: answer how many deliveries would be queued again, and queue none; absent: false',
  })
  @IsOptional()
  @IsBoolean()
  dry_run?: boolean;
}
