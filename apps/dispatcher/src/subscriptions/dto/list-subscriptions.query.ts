import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

export class ListSubscriptionsQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @IsOptional()
  @Matches(/^sub_[A-Za-z0-9_-]{1,64}$/, { message: 'cursor must be a next_cursor from a previous page' })
  cursor?: string;
}
