import { TopicName } from '@relay/contracts';
import { kafkaSecurityFrom, KafkaSecurityEnv } from '@relay/service-runtime';
import { FailurePolicy, defaultFailurePolicy } from './consumer/failure-policy';
import { KafkaClientName, KafkaSettings } from './kafka/kafka-settings';
import type { OutboxRelayModuleOptions } from './messaging.module';

/** The Kafka part of a service's validated environment (see serviceEnvShape). */
export interface KafkaEnv extends KafkaSecurityEnv {
  KAFKA_BROKERS: string[];
  KAFKA_CLIENT_ID: string;
  KAFKA_TOPIC_PARTITIONS: number;
  KAFKA_REPLICATION_FACTOR: number;
}

export function kafkaSettingsFrom(env: KafkaEnv): KafkaSettings {
  return {
    brokers: env.KAFKA_BROKERS,
    clientId: env.KAFKA_CLIENT_ID,
    security: kafkaSecurityFrom(env),
    topicPartitions: env.KAFKA_TOPIC_PARTITIONS,
    replicationFactor: env.KAFKA_REPLICATION_FACTOR,
  };
}

/** The consumer part of a service's validated environment (see consumerEnvShape). */
export interface ConsumerEnv extends KafkaEnv {
  KAFKA_GROUP_ID: string;
  KAFKA_CLIENT: KafkaClientName;
  CONSUMER_MAX_ATTEMPTS: number;
  CONSUMER_PARTITIONS_CONCURRENTLY: number;
  CONSUMER_SESSION_TIMEOUT_MS: number;
  CONSUMER_CHUNK_SIZE: number;
  CONSUMER_FETCH_MAX_BYTES: number;
  CONSUMER_FETCH_MAX_BYTES_PER_PARTITION: number;
}

export function consumerOptionsFrom(env: ConsumerEnv) {
  const failurePolicy: FailurePolicy = { ...defaultFailurePolicy, maxAttempts: env.CONSUMER_MAX_ATTEMPTS };
  return {
    kafka: { ...kafkaSettingsFrom(env), client: env.KAFKA_CLIENT, fetchMaxBytes: env.CONSUMER_FETCH_MAX_BYTES, fetchMaxBytesPerPartition: env.CONSUMER_FETCH_MAX_BYTES_PER_PARTITION },
    consumerGroup: env.KAFKA_GROUP_ID,
    failurePolicy,
    partitionsConsumedConcurrently: env.CONSUMER_PARTITIONS_CONCURRENTLY,
    sessionTimeoutMs: env.CONSUMER_SESSION_TIMEOUT_MS,
    chunkSize: env.CONSUMER_CHUNK_SIZE,
  };
}

/** The outbox part of a service's validated environment (see outboxEnvShape). */
export interface OutboxEnv {
  DATABASE_URL: string;
  DATABASE_SCHEMA: string;
  OUTBOX_BATCH_SIZE: number;
  OUTBOX_POLL_INTERVAL_MS: number;
  OUTBOX_STORE: 'auto' | 'wal' | 'table';
}

export function outboxRelayOptionsFrom(env: OutboxEnv, publishes: TopicName[]): OutboxRelayModuleOptions {
  return {
    schema: env.DATABASE_SCHEMA,
    databaseUrl: env.DATABASE_URL,
    publishes,
    batchSize: env.OUTBOX_BATCH_SIZE,
    pollIntervalMs: env.OUTBOX_POLL_INTERVAL_MS,
    store: env.OUTBOX_STORE,
  };
}
