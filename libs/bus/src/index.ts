export * from './bus.port.js';
export * from './bus.factory.js';
export {
  consumerFetchConfig,
  KafkaBus,
  type KafkaBusOptions,
  type KafkaFetchOptions,
} from './kafka/kafka.bus.js';
export { TopicCheckError } from './kafka/topic-check.js';
export {
  kafkaSecurityOptions,
  SASL_MECHANISMS,
  type KafkaSecurity,
  type SaslMechanism,
} from './kafka/kafka-security.js';
export { PostgresLogBus, type PostgresLogBusOptions } from './postgres-log/postgres-log.bus.js';
export { BusLog1732262400000 } from './postgres-log/postgres-log.migration.js';
export { erasePostgresLogTenant, prunePostgresLogTopic } from './postgres-log/postgres-log.retention.js';
export { partitionForKey } from './partitioner.js';
export * from './dead-letter.js';
export * from './poison.js';
export * from './read-to-end.js';
export { tracedBus } from './traced-bus.js';
export { type GroupCommitOptions } from './group-commit.js';
