import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { PlatformConfig, portSetting, secretsKeySetting, toInt } from '@hub/config';

export class IngestConfig extends PlatformConfig {
  @portSetting()
  INGEST_PORT = 3001;

  /** Encrypts source secrets at rest: 32 bytes, base64 (`openssl rand -base64 32`). */
  @secretsKeySetting()
  SECRETS_KEY: string;

  /** Base of the ingest URLs shown to users (what providers can reach); default http://127.0.0.1:<port>. */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, { message: 'must be an http(s) URL without query' })
  PUBLIC_INGEST_URL?: string;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of bytes' })
  @Min(1_024)
  @Max(64 * 1024 * 1024)
  INGEST_BODY_LIMIT_BYTES = 1024 * 1024;
}
