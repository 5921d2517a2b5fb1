import { IsObject, IsOptional, IsString, Length } from 'class-validator';

/** The provider of a source never changes: create another source instead. */
export class UpdateSourceDto {
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @IsOptional()
  @IsString()
  @Length(8, 512)
  secret?: string;

  @IsOptional()
  @IsObject()
  settings?: Record<string, unknown>;
}
