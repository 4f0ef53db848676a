import { z } from 'zod';
import { authEnvShape } from '../auth/auth.settings';
import { envFields } from './env-fields';
import { kafkaSecurityEnvShape } from './kafka-security';
import { ConfigError } from './read-env';

/** Added to PORT when MANAGEMENT_PORT is not set: 3000 → 4000, and instances on 3000, 3010, … get 4000, 4010, …. */
export const MANAGEMENT_PORT_OFFSET = 1000;

/**
 * Requests per minute one client (a token's subject, else an IP address) may make to one instance.
 * 6000 (100 a second, sustained for a minute) is far above what a person or a well-behaved
 * integration sends, and well under what one instance serves, so one runaway client cannot starve
 * the others; the bench spreads its load over many customers (tools/bench), each far below it.
 */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 6_000;

/** The variables every service reads. Service-specific ones are added next to them. */
export function serviceEnvShape(defaults: { port: number; schema: string; clientId: string }) {
  return {
    PORT: envFields.port(defaults.port),
    /** Where the public port (PORT) listens: every interface by default, as a container needs. */
    HOST: envFields.listenHost('0.0.0.0'),
    /** Metrics, OpenAPI docs and consumer status (never on PORT); default PORT + 1000. */
    MANAGEMENT_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    /** Where the management port listens: loopback unless monitoring must reach it over a network. */
    MANAGEMENT_HOST: envFields.listenHost('127.0.0.1'),
    RATE_LIMIT_PER_MINUTE: envFields.positiveInt(DEFAULT_RATE_LIMIT_PER_MINUTE, 10_000_000),
    ...authEnvShape(),
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
    // Where spans go (OTLP over HTTP, `<endpoint>/v1/traces`); unset: no spans are recorded.
    OTEL_EXPORTER_OTLP_ENDPOINT: envFields.optionalHttpUrl,
  };
}

/** The Kafka clients the event consumer's driver port has an adapter for (KAFKA_CLIENT); the first is the default. */
export const KAFKA_CLIENTS = ['kafkajs', 'platformatic'] as const;
export type KafkaClientName = (typeof KAFKA_CLIENTS)[number];

/** The variables every event-consuming service reads besides the common ones. */
export function consumerEnvShape(defaults: { group: string }) {
  return {
    KAFKA_GROUP_ID: envFields.clientId(defaults.group),
    // The Kafka client behind the event consumer's driver port (libs/messaging/src/kafka/driver).
    KAFKA_CLIENT: z.enum(KAFKA_CLIENTS).default(KAFKA_CLIENTS[0]),
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

/** Where a service's management port listens, from its validated environment. */
export function managementListenFrom(env: { PORT: number; MANAGEMENT_PORT?: number; MANAGEMENT_HOST: string }): { port: number; host: string } {
  const port = env.MANAGEMENT_PORT ?? env.PORT + MANAGEMENT_PORT_OFFSET;
  if (port > 65_535) throw new ConfigError([`MANAGEMENT_PORT: required when PORT is above ${65_535 - MANAGEMENT_PORT_OFFSET} (PORT + ${MANAGEMENT_PORT_OFFSET} is no port)`]);
  if (port === env.PORT) throw new ConfigError([`MANAGEMENT_PORT: must differ from PORT (both ${port}): metrics and docs must not be served on the public port`]);
  return { port, host: env.MANAGEMENT_HOST };
}
