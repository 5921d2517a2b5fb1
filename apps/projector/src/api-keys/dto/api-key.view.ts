import { ApiProperty } from '@nestjs/swagger';
import { API_KEY_SCOPES, type ApiKeyScope, type ApiKeyView as ApiKeyAnswer } from '@hub/tenancy';

/** The OpenAPI schemas of what the API-keys API answers (the shapes are ApiKeyService's). */
export class ApiKeyView implements ApiKeyAnswer {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ enum: API_KEY_SCOPES })
  scope: ApiKeyScope;

  @ApiProperty({ example: 'hub_Ab3dE9', description: 'the first ten characters of the key' })
  prefix: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'x9Qz',
    description: 'the last four characters; null for keys made before they were kept',
  })
  last_four: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'recorded at most once a minute',
  })
  last_used_at: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revoked_at: string | null;
}

export class CreatedApiKeyView extends ApiKeyView {
  @ApiProperty({ description: 'the key itself: shown only in this answer, never again' })
  api_key: string;
}
