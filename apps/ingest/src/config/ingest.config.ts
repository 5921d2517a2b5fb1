import { IsOptional, IsString, Matches } from 'class-validator';
import { PlatformConfig, portSetting, toInt } from '@hub/config';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

export class IngestConfig extends PlatformConfig {
  @portSetting()
  INGEST_PORT = 3001;

  @IsString()
  HOST = '0.0.0.0';

  /** Encrypts source secrets at rest: 32 bytes, base64 (`openssl rand -base64 32`). */
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'must be 32 bytes in base64 (openssl rand -base64 32)' })
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

  @Matches(/^[A-Za-z0-9_-]{1,50}$/, { message: 'must be 1-50 of [A-Za-z0-9_-]' })
  TOPIC_PREFIX = 'hub';
}
