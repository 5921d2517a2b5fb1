import {
  createEventBus,
  TopicCheckError,
  tracedBus,
  type EventBus,
  type KafkaFetchOptions,
  type KafkaSecurity,
} from '@hub/bus';
import type { PlatformConfig } from '@hub/config';
import { ConfigError, kafkaFetchPartitionBytes, kafkaTlsOn } from '@hub/config';
import { canonicalTopics, topicNames } from '@hub/contracts';
import { tracingStarted } from '@hub/telemetry';
import { createDataSource, redactUrl, runMigrationsExclusively, type EntityClass } from '@hub/persistence';
import type { DataSource, MigrationInterface } from 'typeorm';
import { ENTITIES, MIGRATIONS } from './schema.js';

export interface Platform {
  config: PlatformConfig;
  dataSource: DataSource;
  bus: EventBus;
}

/**
 * Opens the database (running pending migrations) and the bus. A failure names the setting to
 * fix, as a ConfigError, so start-up can print one line instead of a stack trace.
 */
export interface AppSchema {
  entities?: EntityClass[];
  /** The app's own tables; they run after the shared ones (names carry their timestamp). */
  migrations?: Array<new () => MigrationInterface>;
}

export async function connectPlatform(
  config: PlatformConfig,
  applicationName: string,
  schema: AppSchema = {},
): Promise<Platform> {
  const dataSource = createDataSource({
    url: config.DATABASE_URL,
    applicationName,
    entities: [...ENTITIES, ...(schema.entities ?? [])],
    migrations: [...MIGRATIONS, ...(schema.migrations ?? [])],
  });
  try {
    await dataSource.initialize();
    await runMigrationsExclusively(dataSource);
  } catch (error) {
    await dataSource.destroy().catch(() => undefined);
    throw new ConfigError(`DATABASE_URL: cannot use ${redactUrl(config.DATABASE_URL)}: ${reason(error)}`);
  }
  const created = createEventBus(busSettings(config, applicationName), dataSource);
  // With tracing on, every message published carries its trace context (see tracedBus).
  const bus = tracingStarted() ? tracedBus(created) : created;
  try {
    await withTimeout(bus.ping(), 15_000);
  } catch (error) {
    await bus.close().catch(() => undefined);
    await dataSource.destroy().catch(() => undefined);
    throw kafkaUnreachable(config, error);
  }
  try {
    await withTimeout(bus.ensureTopics(Object.values(topicNames(config.TOPIC_PREFIX))), 15_000);
  } catch (error) {
    await bus.close().catch(() => undefined);
    await dataSource.destroy().catch(() => undefined);
    throw topicsUnusable(config, error);
  }
  return { config, dataSource, bus };
}

/** What a Kafka consumer's fetch asks of the broker, from KAFKA_FETCH_*. */
export function kafkaFetchSettings(config: PlatformConfig): KafkaFetchOptions {
  return {
    maxWaitMs: config.KAFKA_FETCH_MAX_WAIT_MS,
    maxBytes: config.KAFKA_FETCH_MAX_BYTES,
    maxPartitionBytes: kafkaFetchPartitionBytes(config),
  };
}

export function busSettings(config: PlatformConfig, clientId: string) {
  return {
    databaseUrl: config.DATABASE_URL,
    kafkaBrokers: config.KAFKA_BROKERS,
    kafkaClientId: `${config.KAFKA_CLIENT_ID}-${clientId}`,
    kafkaIdempotent: config.KAFKA_IDEMPOTENT,
    kafkaCreateTopics: config.KAFKA_CREATE_TOPICS,
    kafkaCheckTopics: config.KAFKA_CHECK_TOPICS,
    // A projector rebuild reads both lanes of every canonical topic from their first message.
    keptForever: canonicalTopics(topicNames(config.TOPIC_PREFIX)),
    kafkaSessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    kafkaFetch: kafkaFetchSettings(config),
    kafkaReplicationFactor: config.KAFKA_REPLICATION_FACTOR,
    partitions: config.BUS_PARTITIONS,
    groupCommit: {
      lingerMs: config.BUS_PUBLISH_LINGER_MS,
      maxMessages: config.BUS_PUBLISH_MAX_MESSAGES,
      maxBytes: config.BUS_PUBLISH_MAX_BYTES,
    },
    logLevel: config.LOG_LEVEL,
    kafkaSecurity: kafkaSecurity(config),
  };
}

/**
 * Why start-up could not have its topics: topics someone else created that fall short name the
 * setting that said so, on one line; a failure to create or check them names the bus.
 */
export function topicsUnusable(config: PlatformConfig, error: unknown): Error {
  if (error instanceof TopicCheckError) return new ConfigError(`KAFKA_CREATE_TOPICS=false: ${error.message}`);
  const checking = config.KAFKA_BROKERS !== undefined && !config.KAFKA_CREATE_TOPICS;
  return new Error(`the bus could not ${checking ? 'check' : 'create'} its topics: ${reason(error)}`, {
    cause: error,
  });
}

/**
 * OpenSSL's verdicts on a certificate chain no trusted CA vouches for, as Node names them: the fix
 * is KAFKA_SSL_CA_FILE (or the broker's certificate chain), not the broker list.
 */
const UNTRUSTED_CHAIN = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);

/** Why start-up could not reach Kafka, by the setting most likely to fix it. */
export function kafkaUnreachable(config: PlatformConfig, error: unknown): ConfigError {
  const brokers = config.KAFKA_BROKERS?.join(',');
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code !== undefined && UNTRUSTED_CHAIN.has(code)) {
      const trusted = config.KAFKA_SSL_CA_FILE ? config.KAFKA_SSL_CA_FILE.path : "Node's public CAs";
      return new ConfigError(
        `KAFKA_SSL_CA_FILE: the certificate of the broker at ${brokers} is not signed by a trusted CA (${trusted}): ${cause.message}`,
      );
    }
  }
  return new ConfigError(`KAFKA_BROKERS: no Kafka broker answered at ${brokers}: ${reason(error)}`);
}

/** KAFKA_SSL* and KAFKA_SASL_* as the bus takes them: the files' contents, validated at load. */
export function kafkaSecurity(config: PlatformConfig): KafkaSecurity {
  const security: KafkaSecurity = {};
  if (kafkaTlsOn(config))
    security.tls = {
      ca: config.KAFKA_SSL_CA_FILE?.text,
      cert: config.KAFKA_SSL_CERT_FILE?.text,
      key: config.KAFKA_SSL_KEY_FILE?.text,
      rejectUnauthorized: config.KAFKA_SSL_REJECT_UNAUTHORIZED,
    };
  const mechanism = config.KAFKA_SASL_MECHANISM;
  const username = config.KAFKA_SASL_USERNAME ?? config.KAFKA_SASL_USERNAME_FILE?.text;
  const password = config.KAFKA_SASL_PASSWORD ?? config.KAFKA_SASL_PASSWORD_FILE?.text;
  // The loader already refused a mechanism without both; this only narrows the types.
  if (mechanism && username !== undefined && password !== undefined)
    security.sasl = { mechanism, username, password };
  return security;
}

export async function closePlatform(platform: Platform): Promise<void> {
  await platform.bus.close();
  await platform.dataSource.destroy();
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function reason(error: unknown): string {
  if (error instanceof AggregateError) return error.errors.map(reason).join('; ');
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return String(error);
}
