import { IsIn, IsObject, IsOptional, IsString, Length } from 'class-validator';
import { PROVIDERS, type ProviderId } from '@hub/contracts';
import type { Verification } from '../source.entity.js';

export class CreateSourceDto {
  @IsIn(PROVIDERS, { message: `provider must be one of ${PROVIDERS.join(', ')}` })
  provider: ProviderId;

  @IsString()
  @Length(1, 200)
  name: string;

  /** Generated (and shown once) when absent. */
  @IsOptional()
  @IsString()
  @Length(8, 512)
  secret?: string;

  /** `none` accepts unsigned requests; it must be asked for explicitly. */
  @IsOptional()
  @IsIn(['signature', 'none'])
  verification?: Verification;

  @IsOptional()
  @IsObject()
  settings?: Record<string, unknown>;
}
