import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { PlatformConfig, portSetting, retentionDaysSetting, secretsKeySetting, toInt } from '@hub/config';

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

  /** Requests of one tenant worked on at once in this process; more wait their turn (FairShare). */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(1_000)
  INGEST_TENANT_CONCURRENCY = 4;

  /** Requests of one tenant that may wait for a slot; beyond it, 503 with Retry-After (FairShare). */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(100_000)
  INGEST_TENANT_QUEUE = 256;

  /** A tenant's fair share of events per second; beyond it (and its burst), the slow lane. */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of events per second' })
  @Min(1)
  @Max(1_000_000)
  INGEST_TENANT_EVENT_RATE = 100;

  /** Events a tenant may send at once above its rate before it goes to the slow lane. */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of events' })
  @Min(1)
  @Max(10_000_000)
  INGEST_TENANT_EVENT_BURST = 1_000;

  /** The share of time a tenant on the slow lane may keep its one request slot busy (FairShare). */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of percent' })
  @Min(1)
  @Max(100)
  INGEST_SLOW_LANE_PERCENT = 50;

  /**
   * Canonical events one request may make. Far above any provider's batch (the largest sends the
   * projects edited in the last 60 s; the others one event or three); beyond it the request is a 413.
   */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(1_000_000)
  INGEST_MAX_EVENTS_PER_REQUEST = 5_000;

  /** Sources a tenant may have; creating more is refused, existing ones keep working. */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(100_000)
  INGEST_SOURCE_QUOTA = 100;

  /**
   * Days the provider's raw bodies are kept: the raw-deliveries topic on the Postgres log and the
   * unmapped deliveries. They hold customers' names, emails and phone numbers; 0 keeps them for ever.
   */
  @retentionDaysSetting()
  RETENTION_RAW_DELIVERIES_DAYS = 30;
}
