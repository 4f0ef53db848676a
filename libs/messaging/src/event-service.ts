import { DynamicModule, Logger, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { asyncApiDocument, RelayServiceName, ServiceTopology } from '@relay/contracts';
import {
  AuthEnv,
  callerIdentificationFrom,
  configureHttpApp,
  createCallerAuthenticator,
  createHttpAdapter,
  describeKafkaSecurity,
  HttpRequestLogging,
  listenOnManagementPort,
  LogFormat,
  managementListenFrom,
  ObservabilityModule,
  openPostgresDataSource,
  postgresDataSourceOptions,
  runService,
  setupAsyncApi,
  setupOpenApi,
} from '@relay/service-runtime';
import { ConsumerStatusModule, connectEventConsumer, HealthModule, MessagingModule, OutboxRelayModule } from './messaging.module';
import { ConsumerEnv, consumerOptionsFrom, kafkaSettingsFrom, OutboxEnv, outboxRelayOptionsFrom } from './service-config';

/** What every Relay service reads from its environment (see serviceEnvShape & co). */
export interface EventServiceEnv extends ConsumerEnv, OutboxEnv, AuthEnv {
  PORT: number;
  HOST: string;
  MANAGEMENT_PORT?: number;
  MANAGEMENT_HOST: string;
  RATE_LIMIT_PER_MINUTE: number;
  DATABASE_POOL_SIZE: number;
  LOG_LEVEL: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
  LOG_FORMAT: LogFormat;
  LOG_HTTP_REQUESTS: HttpRequestLogging;
  SHUTDOWN_TIMEOUT_MS: number;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
}

/** One service: its data and its feature module; the topics it publishes and consumes are its ServiceTopology entry's. */
export interface EventServiceDefinition {
  name: RelayServiceName;
  /** For the OpenAPI document. */
  description: string;
  persistence: Parameters<typeof postgresDataSourceOptions>[1];
  feature: Type<unknown>;
}

@Module({})
class EventServiceRootModule {}

/**
 * The root module of a service: logs and metrics, its PostgreSQL schema (migrated at start-up),
 * Kafka, health, the outbox relay, the consumer status, and its feature module.
 */
export function eventServiceModule(service: EventServiceDefinition, config: EventServiceEnv): DynamicModule {
  return {
    module: EventServiceRootModule,
    imports: [
      ObservabilityModule.forRoot({
        service: service.name,
        level: config.LOG_LEVEL,
        format: config.LOG_FORMAT,
        requests: config.LOG_HTTP_REQUESTS,
        otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
      }),
      TypeOrmModule.forRootAsync({
        useFactory: () =>
          postgresDataSourceOptions(
            { url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, applicationName: service.name, poolSize: config.DATABASE_POOL_SIZE },
            service.persistence,
          ),
        dataSourceFactory: (options) => openPostgresDataSource(options!, config.DATABASE_SCHEMA),
      }),
      MessagingModule.forRoot(kafkaSettingsFrom(config)),
      HealthModule,
      OutboxRelayModule.forRoot(outboxRelayOptionsFrom(config, [...ServiceTopology[service.name].publishes])),
      ConsumerStatusModule.forRoot({ consumerGroup: config.KAFKA_GROUP_ID, topics: [...ServiceTopology[service.name].consumes] }),
      service.feature,
    ],
  };
}

/**
 * A service's `main`: reads and validates its environment (the token keys included: a missing or
 * unreadable key stops the start; HTTP_AUTH=insecure-header only on a loopback HOST), starts HTTP (the API and health on PORT; metrics, docs,
 * consumer status and health on the management port) and its event consumer, and logs where it
 * listens. A bad environment exits 1 with a message naming each bad variable.
 */
export function runEventService(service: EventServiceDefinition, readConfig: () => EventServiceEnv): void {
  runService(service.name, async () => {
    const config = readConfig();
    const management = managementListenFrom(config);
    const authenticator = await createCallerAuthenticator(callerIdentificationFrom(config, { variable: 'HOST', host: config.HOST }));
    const kafka = kafkaSettingsFrom(config);
    const app = await NestFactory.create(eventServiceModule(service, config), createHttpAdapter(), { bufferLogs: true });
    await configureHttpApp(app, { service: service.name, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS, authenticator, rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE });
    setupOpenApi(app, { title: `Relay ${service.name}`, description: service.description });
    setupAsyncApi(app, asyncApiDocument());
    connectEventConsumer(app, { ...consumerOptionsFrom(config), subscriber: { service: service.name, topics: ServiceTopology[service.name].consumes } });
    await app.startAllMicroservices();
    // HOST: every interface by default, as a container needs; Fastify alone would listen on localhost only.
    await app.listen(config.PORT, config.HOST);
    await listenOnManagementPort(app.getHttpAdapter().getInstance(), management);
    new Logger(service.name).log(
      `${service.name} listening on http://127.0.0.1:${config.PORT} (management http://${management.host}:${management.port}; schema "${config.DATABASE_SCHEMA}", group "${config.KAFKA_GROUP_ID}", Kafka ${describeKafkaSecurity(kafka.security)})`,
    );
  });
}
