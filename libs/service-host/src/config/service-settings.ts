import { TopicName } from '@relay/contracts';
import { defaultFailurePolicy, FailurePolicy, KafkaSettings, OutboxRelayModuleOptions } from '@relay/messaging';
import { kafkaSecurityFrom } from '@relay/service-runtime';
import { ConsumerEnv, OutboxEnv, ServiceEnv } from './service-env';

/**
 * The settings of a service's Kafka clients, from its validated environment. `client`
 * (KAFKA_CLIENT) picks the driver of everything that reaches Kafka: the consumer, the outbox
 * relays and the lag reads (MessagingModule).
 */
export function kafkaSettingsFrom(env: ServiceEnv & Pick<ConsumerEnv, 'KAFKA_CLIENT'>): KafkaSettings {
  return {
    brokers: env.KAFKA_BROKERS,
    clientId: env.KAFKA_CLIENT_ID,
    client: env.KAFKA_CLIENT,
    security: kafkaSecurityFrom(env),
    topicPartitions: env.KAFKA_TOPIC_PARTITIONS,
    replicationFactor: env.KAFKA_REPLICATION_FACTOR,
  };
}

/** The options of a service's event consumer (EventConsumerServer), from its validated environment. */
export function consumerOptionsFrom(env: ServiceEnv & ConsumerEnv) {
  const failurePolicy: FailurePolicy = { ...defaultFailurePolicy, maxAttempts: env.CONSUMER_MAX_ATTEMPTS };
  return {
    kafka: { ...kafkaSettingsFrom(env), fetchMaxBytes: env.CONSUMER_FETCH_MAX_BYTES, fetchMaxBytesPerPartition: env.CONSUMER_FETCH_MAX_BYTES_PER_PARTITION },
    consumerGroup: env.KAFKA_GROUP_ID,
    failurePolicy,
    partitionsConsumedConcurrently: env.CONSUMER_PARTITIONS_CONCURRENTLY,
    sessionTimeoutMs: env.CONSUMER_SESSION_TIMEOUT_MS,
    chunkSize: env.CONSUMER_CHUNK_SIZE,
  };
}

/** The options of a service's outbox relay, from its validated environment and the topics it publishes. */
export function outboxRelayOptionsFrom(env: ServiceEnv & OutboxEnv, publishes: TopicName[]): OutboxRelayModuleOptions {
  return {
    schema: env.DATABASE_SCHEMA,
    databaseUrl: env.DATABASE_URL,
    publishes,
    batchSize: env.OUTBOX_BATCH_SIZE,
    pollIntervalMs: env.OUTBOX_POLL_INTERVAL_MS,
    store: env.OUTBOX_STORE,
  };
}
