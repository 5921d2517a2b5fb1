import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateBy,
  type ValidationArguments,
} from 'class-validator';
import { defaultLogFormat, LOG_LEVEL_NAMES, type LogFormat, type LogLevelName } from '@hub/telemetry';
import { fileSetting, isKeyOf, settingRule, type SettingFile } from './setting-files.js';

export const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' ? Number(value) : value);
export const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  if (['true', '1', 'yes'].includes(value.toLowerCase())) return true;
  if (['false', '0', 'no'].includes(value.toLowerCase())) return false;
  return value;
};
export const toList = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.split(',').map((part) => part.trim()) : value;

export const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/;

export const SASL_MECHANISM_NAMES = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanismName = (typeof SASL_MECHANISM_NAMES)[number];
const KAFKA_TLS_FILES = ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const;

/** Settings every app shares: where the database and the bus are. */
export class PlatformConfig {
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// connection URL' })
  DATABASE_URL: string;

  @kafkaBrokersSetting()
  KAFKA_BROKERS?: string[];

  @IsString()
  KAFKA_CLIENT_ID = 'solar-hub';

  /** Only the test wiring for the librdkafka mock cluster turns this off. */
  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  KAFKA_IDEMPOTENT = true;

  /** Off: someone else creates the topics, and start-up checks them (KAFKA_CHECK_TOPICS). */
  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  KAFKA_CREATE_TOPICS = true;

  /**
   * With KAFKA_CREATE_TOPICS off, check at start that every topic is as the system needs it (see
   * docs/kafka.md). Only the test wiring for the librdkafka mock cluster turns this off: that
   * broker creates a topic when it is first used, so there is nothing to check at start.
   */
  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  KAFKA_CHECK_TOPICS = true;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of milliseconds' })
  @Min(3_000)
  @Max(300_000)
  KAFKA_SESSION_TIMEOUT_MS = 30_000;

  /**
   * Longest a consumer's fetch waits at the broker for a first byte. A real broker answers as soon
   * as a message lands (minBytes 1), so this bounds idle fetch traffic, not a hop's latency; on
   * the librdkafka mock cluster it is the latency (see docs/performance.md, "Bus hops").
   */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of milliseconds' })
  @Min(1)
  @Max(30_000)
  KAFKA_FETCH_MAX_WAIT_MS = 50;

  /**
   * Most bytes one fetch request brings back (Kafka's `fetch.max.bytes`); a consumer sends one to
   * each broker that leads some of its partitions. What a fetch brings is held in memory until
   * rounds have handled it, so this bounds a consumer's memory when it has a backlog; kafkajs's own
   * default is 10 MiB. A record batch larger than the bound still comes, whole and alone, so a
   * large message is never stuck.
   */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of bytes' })
  @Min(1_024)
  @Max(100 * 1024 * 1024)
  KAFKA_FETCH_MAX_BYTES = 1024 * 1024;

  /**
   * Most bytes one fetch brings back from one partition (Kafka's `max.partition.fetch.bytes`),
   * so one partition's backlog leaves room in a fetch for the others. At most KAFKA_FETCH_MAX_BYTES;
   * unset, 256 KiB or KAFKA_FETCH_MAX_BYTES when that is smaller (see kafkaFetchPartitionBytes).
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of bytes' })
  @Min(1_024)
  @settingRule('partitionWithinFetch', (value, settings) => {
    const fetch = settings['KAFKA_FETCH_MAX_BYTES'];
    return typeof fetch === 'number' && typeof value === 'number' && value > fetch
      ? `is ${value}, more than KAFKA_FETCH_MAX_BYTES (${fetch}), the whole fetch`
      : undefined;
  })
  KAFKA_FETCH_MAX_PARTITION_BYTES?: number;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  KAFKA_REPLICATION_FACTOR = 1;

  /**
   * TLS to the brokers (SSL or SASL_SSL). A CA, certificate or key file turns it on as well, so
   * `false` together with one of them is a contradiction and refused.
   */
  @IsOptional()
  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  @settingRule('tlsFilesNeedTls', (value, settings) => {
    const file = KAFKA_TLS_FILES.find((name) => settings[name] !== undefined);
    return value === false && file
      ? `is false, but ${file} is set (a CA, certificate or key file turns TLS on)`
      : undefined;
  })
  KAFKA_SSL?: boolean;

  /** PEM CA certificate(s) the broker's certificate must chain to; unset: Node's public CAs. */
  @fileSetting('certificate')
  KAFKA_SSL_CA_FILE?: SettingFile;

  /** PEM client certificate, for brokers that authenticate clients by certificate (mutual TLS). */
  @fileSetting('certificate')
  @settingRule('certNeedsKey', (_value, settings) =>
    settings['KAFKA_SSL_KEY_FILE'] === undefined ? 'needs KAFKA_SSL_KEY_FILE, its private key' : undefined,
  )
  KAFKA_SSL_CERT_FILE?: SettingFile;

  /** PEM private key of KAFKA_SSL_CERT_FILE, unencrypted. */
  @fileSetting('key')
  @settingRule('keyNeedsCert', (value, settings) => {
    const cert = settings['KAFKA_SSL_CERT_FILE'] as SettingFile | undefined;
    if (cert === undefined) return 'needs KAFKA_SSL_CERT_FILE, the certificate it is the key of';
    // Both parsed (or their own errors are reported): only then can they be compared.
    if (typeof cert.text !== 'string' || typeof (value as SettingFile).text !== 'string') return undefined;
    return isKeyOf(cert, value as SettingFile)
      ? undefined
      : `is not the key of KAFKA_SSL_CERT_FILE (${cert.path})`;
  })
  KAFKA_SSL_KEY_FILE?: SettingFile;

  /**
   * Check the broker's certificate chain and that it names the broker's host. Only for a test
   * cluster whose certificate cannot be checked: without it anyone on the path can read the traffic.
   */
  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  @settingRule('rejectUnauthorizedNeedsTls', (value, settings) =>
    value === false && !kafkaTlsOn(settings)
      ? 'is false, but TLS is off (set KAFKA_SSL=true or a KAFKA_SSL_*_FILE)'
      : undefined,
  )
  KAFKA_SSL_REJECT_UNAUTHORIZED = true;

  /** SASL authentication (SASL_PLAINTEXT, or SASL_SSL with TLS on); unset, none. */
  @IsOptional()
  @IsIn(SASL_MECHANISM_NAMES, { message: `must be one of ${SASL_MECHANISM_NAMES.join(', ')}` })
  KAFKA_SASL_MECHANISM?: SaslMechanismName;

  @saslCredential('KAFKA_SASL_USERNAME')
  KAFKA_SASL_USERNAME?: string;

  /** A file holding the username (a mounted Kubernetes secret); a trailing newline is dropped. */
  @saslCredentialFile('KAFKA_SASL_USERNAME')
  KAFKA_SASL_USERNAME_FILE?: SettingFile;

  @saslCredential('KAFKA_SASL_PASSWORD')
  KAFKA_SASL_PASSWORD?: string;

  /** A file holding the password (a mounted Kubernetes secret); a trailing newline is dropped. */
  @saslCredentialFile('KAFKA_SASL_PASSWORD')
  KAFKA_SASL_PASSWORD_FILE?: SettingFile;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(256)
  BUS_PARTITIONS = 8;

  /**
   * Group commit: how long the first publish of an idle process waits for others to share its
   * append. 0 (default): only calls made in the same turn of the event loop, or while the previous
   * append was in flight, share it; under load appends grow on their own, at no cost when idle.
   */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of milliseconds from 0 to 1000' })
  @Min(0, { message: 'must be a whole number of milliseconds from 0 to 1000' })
  @Max(1_000, { message: 'must be a whole number of milliseconds from 0 to 1000' })
  BUS_PUBLISH_LINGER_MS = 0;

  /** Group commit: most messages in one append (a call's own messages are never split). */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(100_000)
  BUS_PUBLISH_MAX_MESSAGES = 1_000;

  /**
   * Group commit: most value bytes in one append. The default keeps an append under Kafka's default
   * `message.max.bytes` (1,000,012), which bounds each partition's record batch in a produce request.
   */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of bytes' })
  @Min(1_024)
  @Max(100 * 1024 * 1024)
  BUS_PUBLISH_MAX_BYTES = 960 * 1_024;

  /** Interface the app listens on. */
  @IsString()
  HOST = '0.0.0.0';

  /** Prefix of every topic name, so several installations can share one Kafka cluster. */
  @Matches(/^[A-Za-z0-9_-]{1,50}$/, { message: 'must be 1-50 of [A-Za-z0-9_-]' })
  TOPIC_PREFIX = 'hub';

  /** pino's level names; `log` is kept as another name for `info`. */
  @IsIn(LOG_LEVEL_NAMES, { message: `must be one of ${LOG_LEVEL_NAMES.join(', ')}` })
  LOG_LEVEL: LogLevelName = 'info';

  /** `json` lines for a collector, `text` for a person; by default text only on a terminal. */
  @IsIn(['json', 'text'], { message: 'must be json or text' })
  LOG_FORMAT: LogFormat = defaultLogFormat();

  /**
   * Adds a `tenant_id` label to the per-tenant metrics. Off by default: every tenant multiplies
   * those series, which a Prometheus with many tenants pays for in memory.
   */
  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  METRICS_TENANT_LABELS = false;

  /** A client must send its request headers within this; a slow one no longer holds a socket for minutes. */
  @durationSetting(1_000, 300_000)
  @notAbove('HTTP_REQUEST_TIMEOUT')
  HTTP_HEADERS_TIMEOUT = 10_000;

  /** A client must send its whole request (headers and body) within this. */
  @durationSetting(1_000, 3_600_000)
  HTTP_REQUEST_TIMEOUT = 30_000;

  /** An idle keep-alive connection is closed after this. */
  @durationSetting(1_000, 600_000)
  HTTP_KEEP_ALIVE_TIMEOUT = 5_000;

  /**
   * Retention (docs/adr/0015): how often each app looks for data past its retention. Every kind's
   * own setting (RETENTION_*_DAYS) lives in the settings of the app that owns that data.
   */
  @durationSetting(1_000, 86_400_000)
  RETENTION_INTERVAL = 600_000;

  /** Retention: rows one batch deletes at most, each batch its own short transaction. */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(100_000)
  RETENTION_BATCH_SIZE = 1_000;

  /** Retention: rest between two batches, so live writers and autovacuum keep up. */
  @durationSetting(0, 60_000)
  RETENTION_BATCH_PAUSE = 200;

  /**
   * How far V8 lets the old generation grow past what its last full collection kept before it
   * collects again, in percent (V8's `--heap-growing-percent`); 0: V8 picks, which let a projector
   * holding ~46 MiB of live objects grow to ~100 MiB under load. See applyHeapGrowth and
   * collectOnceStarted.
   */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(0)
  @Max(400)
  HEAP_GROWTH_PERCENT = 25;
}

// Function declarations: the class above applies these decorators before later consts exist.
/** Whether the bus talks TLS to Kafka: KAFKA_SSL, else whether any CA, certificate or key file is set. */
export function kafkaTlsOn(settings: object): boolean {
  const values = settings as Record<string, unknown>;
  const explicit = values['KAFKA_SSL'];
  if (typeof explicit === 'boolean') return explicit;
  return KAFKA_TLS_FILES.some((name) => values[name] !== undefined);
}

/** KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD: required with a mechanism, as a value or a file, not both. */
function saslCredential(name: string): PropertyDecorator {
  return settingRule(`${name}Given`, (value, settings) => {
    const file = settings[`${name}_FILE`];
    if (value !== undefined && file !== undefined) return `set either ${name} or ${name}_FILE, not both`;
    if (settings['KAFKA_SASL_MECHANISM'] === undefined)
      return value === undefined ? undefined : 'needs KAFKA_SASL_MECHANISM';
    return value === undefined && file === undefined
      ? `required with KAFKA_SASL_MECHANISM (or set ${name}_FILE)`
      : undefined;
  });
}

function saslCredentialFile(name: string): (target: object, property: string) => void {
  const decorators = [
    fileSetting('secret'),
    settingRule(`${name}FileNeedsMechanism`, (_value, settings) =>
      settings['KAFKA_SASL_MECHANISM'] === undefined ? 'needs KAFKA_SASL_MECHANISM' : undefined,
    ),
  ];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
}

function toMs({ value }: { value: unknown }): unknown {
  return typeof value === 'string' ? parseDuration(value) : value;
}

/** A duration setting (`500ms`, `10s`, `2m`) held in milliseconds, between `min` and `max`. */
export function durationSetting(min: number, max: number): (target: object, property: string) => void {
  const range = `must be a duration such as 500ms, 10s or 2m, from ${min} ms to ${max} ms`;
  const decorators = [
    Transform(toMs),
    IsInt({ message: range }),
    Min(min, { message: range }),
    Max(max, { message: range }),
  ];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
}

/**
 * Days a kind of data is kept before the background pruner deletes it; 0 keeps it for ever. At most
 * ten years: a longer retention is a typo, and "for ever" has its own value.
 */
export function retentionDaysSetting(): (target: object, property: string) => void {
  const range = 'must be a whole number of days from 0 (keep for ever) to 3650';
  const decorators = [
    Transform(toInt),
    IsInt({ message: range }),
    Min(0, { message: range }),
    Max(3_650, { message: range }),
  ];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
}

/** This setting may not exceed another one (both numbers). */
function notAbove(other: string): PropertyDecorator {
  return ValidateBy({
    name: 'notAbove',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) => {
        const limit = (args?.object as Record<string, unknown> | undefined)?.[other];
        return typeof value !== 'number' || typeof limit !== 'number' || value <= limit;
      },
      defaultMessage: () => `must not be longer than ${other}`,
    },
  });
}

export function portSetting(): (target: object, property: string) => void {
  const decorators = [Transform(toInt), IsInt({ message: 'must be a TCP port number' }), Min(1), Max(65_535)];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
}

/** Comma-separated host:port list; shared by the apps and the launcher. */
export function kafkaBrokersSetting(): (target: object, property: string) => void {
  const decorators = [
    IsOptional(),
    Transform(toList),
    Matches(HOST_PORT, { each: true, message: 'must be a comma-separated list of host:port' }),
  ];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
}

/** The key that encrypts stored secrets: 32 bytes, base64 (`openssl rand -base64 32`). */
export function secretsKeySetting(): (target: object, property: string) => void {
  return Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'must be 32 bytes in base64 (openssl rand -base64 32)' });
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** `250ms`, `5s`, `30m`, `2h`, `5d` in milliseconds; NaN when it is not such a duration. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  return match ? Math.round(Number(match[1]) * UNIT_MS[match[2]!]!) : Number.NaN;
}

/** A partition's share of a fetch unless KAFKA_FETCH_MAX_PARTITION_BYTES says otherwise. */
const DEFAULT_FETCH_PARTITION_BYTES = 256 * 1024;

/** KAFKA_FETCH_MAX_PARTITION_BYTES, else its default: 256 KiB, or the whole fetch when that is smaller. */
export function kafkaFetchPartitionBytes(config: PlatformConfig): number {
  return (
    config.KAFKA_FETCH_MAX_PARTITION_BYTES ??
    Math.min(DEFAULT_FETCH_PARTITION_BYTES, config.KAFKA_FETCH_MAX_BYTES)
  );
}
