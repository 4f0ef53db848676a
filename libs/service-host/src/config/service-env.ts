import { z } from 'zod';
import { DEFAULT_CONSUMER_FETCH, DEFAULT_RELAY_PACING, defaultFailurePolicy } from '@relay/messaging';
import { authEnvShape, DEFAULT_RATE_LIMIT_PER_MINUTE, envFields, KAFKA_CLIENTS, kafkaSecurityEnvShape } from '@relay/service-runtime';

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

/** The variables every event-consuming service reads besides the common ones. */
export function consumerEnvShape(defaults: { group: string }) {
  return {
    KAFKA_GROUP_ID: envFields.clientId(defaults.group),
    // The Kafka client behind the event consumer's driver port (libs/messaging/src/kafka/driver).
    KAFKA_CLIENT: z.enum(KAFKA_CLIENTS).default(KAFKA_CLIENTS[0]),
    CONSUMER_MAX_ATTEMPTS: envFields.positiveInt(defaultFailurePolicy.maxAttempts, 1_000),
    CONSUMER_PARTITIONS_CONCURRENTLY: envFields.positiveInt(12, 1_000),
    CONSUMER_SESSION_TIMEOUT_MS: envFields.positiveInt(15_000, 300_000),
    CONSUMER_CHUNK_SIZE: envFields.positiveInt(200, 5_000),
    // Bytes one consumer fetch brings back (kafkajs maxBytes, maxBytesPerPartition): a fetch is
    // decoded whole and held until processed. The defaults are the consumer's own, so a server
    // built without these settings (a test) fetches the same.
    CONSUMER_FETCH_MAX_BYTES: envFields.positiveInt(DEFAULT_CONSUMER_FETCH.maxBytes, 1_073_741_824),
    CONSUMER_FETCH_MAX_BYTES_PER_PARTITION: envFields.positiveInt(DEFAULT_CONSUMER_FETCH.maxBytesPerPartition, 1_073_741_824),
  };
}

/** The variables every service that publishes through the outbox reads. */
export function outboxEnvShape() {
  return {
    OUTBOX_BATCH_SIZE: envFields.positiveInt(DEFAULT_RELAY_PACING.batchSize, 10_000),
    OUTBOX_POLL_INTERVAL_MS: envFields.positiveInt(DEFAULT_RELAY_PACING.pollIntervalMs, 60_000),
    // Where events wait for the relay: the WAL (logical decoding messages, no table; needs
    // wal_level=logical and a replication slot) or the outbox table. `auto` takes the WAL where the
    // server can decode it and says so at start-up; `wal` refuses to start where it cannot.
    OUTBOX_STORE: z.enum(['auto', 'wal', 'table']).default('auto'),
  };
}

type EnvOf<TShape extends z.ZodRawShape> = z.infer<z.ZodObject<TShape>>;

/** A service's validated common variables (serviceEnvShape), as readEnv gives them. */
export type ServiceEnv = EnvOf<ReturnType<typeof serviceEnvShape>>;
/** A service's validated consumer variables (consumerEnvShape). */
export type ConsumerEnv = EnvOf<ReturnType<typeof consumerEnvShape>>;
/** A service's validated outbox variables (outboxEnvShape). */
export type OutboxEnv = EnvOf<ReturnType<typeof outboxEnvShape>>;
/** What every Relay service reads from its environment: the three shapes above, validated. */
export type EventServiceEnv = ServiceEnv & ConsumerEnv & OutboxEnv;
