import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, Length } from 'class-validator';
import { PROVIDERS, type ProviderId } from '@hub/contracts';
import type { Verification } from '../source.entity.js';

export class CreateSourceDto {
  @ApiProperty({ enum: PROVIDERS })
  @IsIn(PROVIDERS, { message: `provider must be one of ${PROVIDERS.join(', ')}` })
  provider: ProviderId;

  @ApiProperty({ minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name: string;

  /** Generated (and shown once) when absent. */
  @ApiPropertyOptional({
    minLength: 8,
    maxLength: 512,
    description: 'generated (and shown once) when absent',
  })
  @IsOptional()
  @IsString()
  @Length(8, 512)
  secret?: string;

  /** `none` accepts unsigned requests; it must be asked for explicitly. */
  @ApiPropertyOptional({
    enum: ['signature', 'none'],
    description: 'absent: signature; `none` accepts unsigned requests',
  })
  @IsOptional()
  @IsIn(['signature', 'none'])
  verification?: Verification;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: "the provider's settings" })
  @IsOptional()
  @IsObject()
  settings?: Record<string, unknown>;
}
