import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsBoolean, IsInt, IsNumber, Matches, Max, Min } from 'class-validator';
import {
  parseDuration,
  PlatformConfig,
  portSetting,
  retentionDaysSetting,
  secretsKeySetting,
  toBool,
  toInt,
} from '@hub/config';

const toMs = ({ value }: { value: unknown }) => (typeof value === 'string' ? parseDuration(value) : value);
const toMsList = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.split(',').map((part) => parseDuration(part)) : value;
const DURATION_MESSAGE = 'must be a duration such as 500ms, 5s, 30m, 2h or 5d';

/** Svix's schedule: 8 attempts over about 27 hours (docs/adr/0006-retry-schedule.md). */
const SVIX_SCHEDULE_MS = ['5s', '5m', '30m', '2h', '5h', '10h', '10h'].map(parseDuration);

export class DispatcherConfig extends PlatformConfig {
  @portSetting()
  DISPATCHER_PORT = 3003;

  /** Encrypts subscription secrets at rest. */
  @secretsKeySetting()
  SECRETS_KEY: string;

  @Matches(/^[A-Za-z0-9._-]{1,100}$/, { message: 'must be 1-100 of [A-Za-z0-9._-]' })
  DISPATCHER_GROUP_ID = 'dispatcher';

  /** Allow `http://` endpoints (development only). */
  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  OUTBOUND_ALLOW_HTTP = false;

  /** Allow endpoints on loopback, private, unique-local and CGNAT addresses (local receivers); never cloud metadata. */
  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  OUTBOUND_ALLOW_PRIVATE = false;

  /** One attempt's whole budget: connect, send, first 1 KiB of the answer. */
  @Transform(toMs)
  @IsInt({ message: DURATION_MESSAGE })
  @Min(100)
  @Max(120_000)
  DISPATCH_TIMEOUT = 5_000;

  /** Waits between attempts; one more attempt than entries, then the delivery is exhausted. */
  @Transform(toMsList)
  @IsInt({ each: true, message: `each entry ${DURATION_MESSAGE}` })
  @Min(0, { each: true })
  @ArrayMaxSize(50)
  DISPATCH_RETRY_SCHEDULE: number[] = SVIX_SCHEDULE_MS;

  /** Each wait is stretched or shrunk at random by up to this share, so retries do not stampede. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? Number(value) : value))
  @IsNumber({}, { message: 'must be a number from 0 to 0.5' })
  @Min(0)
  @Max(0.5)
  DISPATCH_RETRY_JITTER = 0.2;

  /** A subscription failing without a single success for this long is disabled (Svix: 5 days). */
  @Transform(toMs)
  @IsInt({ message: DURATION_MESSAGE })
  @Min(0)
  DISPATCH_DISABLE_AFTER = parseDuration('5d');

  /** How long a rotated-out secret keeps signing beside the new one. */
  @Transform(toMs)
  @IsInt({ message: DURATION_MESSAGE })
  @Min(0)
  DISPATCH_ROTATION_GRACE = parseDuration('24h');

  /** Requests in flight per process, over all endpoints. */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(2_000)
  DISPATCH_CONCURRENCY = 128;

  /** Requests in flight per subscription in this process, so one slow endpoint cannot take every slot. */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(1_000)
  DISPATCH_ENDPOINT_CONCURRENCY = 32;

  /** How often workers look for due deliveries when nothing woke them. */
  @Transform(toMs)
  @IsInt({ message: DURATION_MESSAGE })
  @Min(10)
  @Max(60_000)
  DISPATCH_POLL_INTERVAL = 200;

  /** Subscriptions a tenant may have; creating more is refused, existing ones keep working. */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(100_000)
  DISPATCH_SUBSCRIPTION_QUOTA = 100;

  /**
   * Days a finished delivery (succeeded or failed) and its attempts are kept after it finished.
   * Deliveries still pending or sending are never pruned. 0 keeps them for ever.
   */
  @retentionDaysSetting()
  RETENTION_DELIVERIES_DAYS = 30;

  /** Days the dead-letter topic keeps a message on the Postgres log. 0 keeps them for ever. */
  @retentionDaysSetting()
  RETENTION_DEAD_LETTERS_DAYS = 30;
}
