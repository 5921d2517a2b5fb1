import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { API_KEY_SCOPES, type ApiKeyScope } from '@hub/tenancy';

export class CreateApiKeyDto {
  @ApiProperty({ description: 'What the key is for, to tell keys apart', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'name must not be only spaces' })
  name: string;

  /** Read unless asked: a key handed to a reporting tool should not be able to change anything. */
  @ApiPropertyOptional({
    enum: API_KEY_SCOPES,
    default: 'read',
    description: '`read`: GET only (the query APIs, listings); `write`: everything',
  })
  @IsOptional()
  @IsIn(API_KEY_SCOPES, { message: `scope must be one of ${API_KEY_SCOPES.join(', ')}` })
  scope?: ApiKeyScope;
}
