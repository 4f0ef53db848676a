import { z } from 'zod';
import { envFields } from './env-fields';
import { kafkaSecurityEnvShape } from './kafka-security';

/** The variables every service reads. Service-specific ones are added next to them. */
export function serviceEnvShape(defaults: { port: number; schema: string; clientId: string }) {
  return {
    PORT: envFields.port(defaults.port),
    DATABASE_URL: envFields.postgresUrl,
    DATABASE_SCHEMA: envFields.schemaName(defaults.schema),
    DATABASE_POOL_SIZE: envFields.positiveInt(10, 200),
    KAFKA_BROKERS: envFields.brokers,
    KAFKA_CLIENT_ID: envFields.clientId(defaults.clientId),
    KAFKA_TOPIC_PARTITIONS: envFields.positiveInt(6, 10_000),
    KAFKA_REPLICATION_FACTOR: envFields.positiveInt(1, 10),
    ...kafkaSecurityEnvShape,
    LOG_LEVEL: envFields.logLevel,
    LOG_FORMAT: envFields.logFormat,
    LOG_HTTP_REQUESTS: envFields.httpRequestLogging,
    SHUTDOWN_TIMEOUT_MS: envFields.positiveInt(10_000, 600_000),
  };
}

/** The variables every event-consuming service reads besides the common ones. */
export function consumerEnvShape(defaults: { group: string }) {
  return {
    KAFKA_GROUP_ID: envFields.clientId(defaults.group),
    CONSUMER_MAX_ATTEMPTS: envFields.positiveInt(10, 1_000),
    CONSUMER_PARTITIONS_CONCURRENTLY: envFields.positiveInt(12, 1_000),
    CONSUMER_SESSION_TIMEOUT_MS: envFields.positiveInt(15_000, 300_000),
    CONSUMER_CHUNK_SIZE: envFields.positiveInt(200, 5_000),
    // Bytes one consumer fetch brings back (kafkajs maxBytes, maxBytesPerPartition): a fetch is
    // decoded whole and held until processed. Same defaults as DEFAULT_CONSUMER_FETCH (messaging).
    CONSUMER_FETCH_MAX_BYTES: envFields.positiveInt(2_097_152, 1_073_741_824),
    CONSUMER_FETCH_MAX_BYTES_PER_PARTITION: envFields.positiveInt(262_144, 1_073_741_824),
  };
}

/** The variables every service that publishes through the outbox reads. */
export function outboxEnvShape() {
  return {
    OUTBOX_BATCH_SIZE: envFields.positiveInt(500, 10_000),
    OUTBOX_POLL_INTERVAL_MS: envFields.positiveInt(1_000, 60_000),
    // Where events wait for the relay: the WAL (logical decoding messages, no table; needs
    // wal_level=logical and a replication slot) or the outbox table. `auto` takes the WAL where the
    // server can decode it and says so at start-up; `wal` refuses to start where it cannot.
    OUTBOX_STORE: z.enum(['auto', 'wal', 'table']).default('auto'),
  };
}
