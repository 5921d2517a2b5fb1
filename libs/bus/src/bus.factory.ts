import type { DataSource } from 'typeorm';
import type { EventBus } from './bus.port.js';
import type { GroupCommitOptions } from './group-commit.js';
import { KafkaBus, type KafkaFetchOptions } from './kafka/kafka.bus.js';
import type { KafkaSecurity } from './kafka/kafka-security.js';
import type { BusLogLevel } from './kafka/kafkajs-log.js';
import { PostgresLogBus } from './postgres-log/postgres-log.bus.js';

export interface BusSettings {
  databaseUrl: string;
  /** Set → Kafka; unset → the Postgres log in the application's own database. */
  kafkaBrokers?: string[] | undefined;
  kafkaClientId: string;
  kafkaIdempotent: boolean;
  kafkaCreateTopics: boolean;
  /** With kafkaCreateTopics off, ensureTopics checks the topics someone else created. */
  kafkaCheckTopics: boolean;
  /** The topics a rebuild reads from their first message (the canonical ones). */
  keptForever: readonly string[];
  kafkaSessionTimeoutMs: number;
  kafkaFetch: KafkaFetchOptions;
  kafkaReplicationFactor: number;
  partitions: number;
  groupCommit: GroupCommitOptions;
  /** LOG_LEVEL, for what the Kafka client logs. */
  logLevel?: BusLogLevel;
  /** TLS and SASL for Kafka; unset, plaintext without authentication. */
  kafkaSecurity?: KafkaSecurity;
}

export function createEventBus(settings: BusSettings, dataSource: DataSource): EventBus {
  if (settings.kafkaBrokers && settings.kafkaBrokers.length > 0) {
    return new KafkaBus(
      {
        brokers: settings.kafkaBrokers,
        clientId: settings.kafkaClientId,
        idempotent: settings.kafkaIdempotent,
        createTopics: settings.kafkaCreateTopics,
        checkTopics: settings.kafkaCheckTopics,
        keptForever: settings.keptForever,
        partitions: settings.partitions,
        replicationFactor: settings.kafkaReplicationFactor,
        sessionTimeoutMs: settings.kafkaSessionTimeoutMs,
        groupCommit: settings.groupCommit,
        fetch: settings.kafkaFetch,
        ...(settings.logLevel ? { logLevel: settings.logLevel } : {}),
        ...(settings.kafkaSecurity ? { security: settings.kafkaSecurity } : {}),
      },
      dataSource,
    );
  }
  return new PostgresLogBus(dataSource, {
    databaseUrl: settings.databaseUrl,
    partitions: settings.partitions,
    groupCommit: settings.groupCommit,
  });
}
