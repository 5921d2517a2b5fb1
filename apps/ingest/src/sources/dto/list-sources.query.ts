import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min, Matches } from 'class-validator';

export class ListSourcesQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @IsOptional()
  @IsString()
  @Matches(/^src_[A-Za-z0-9_-]{1,64}$/, { message: 'cursor must be a next_cursor from a previous page' })
  cursor?: string;
}
