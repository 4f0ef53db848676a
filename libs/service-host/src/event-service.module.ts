import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ServiceTopology } from '@relay/contracts';
import { ConsumerStatusModule, MessagingModule, OutboxRelayModule } from '@relay/messaging';
import { ObservabilityModule, openPostgresDataSource, postgresDataSourceOptions } from '@relay/service-runtime';
import { EventServiceEnv } from './config/service-env';
import { kafkaSettingsFrom, outboxRelayOptionsFrom } from './config/service-settings';
import { EventServiceDefinition } from './event-service.definition';
import { HealthModule } from './health/health.module';

@Module({})
class EventServiceRootModule {}

/**
 * The root module of a service: logs and metrics, its PostgreSQL schema (migrated at start-up),
 * Kafka, health, the outbox relay, the consumer status, and its feature module.
 */
export function eventServiceModule<TConfig extends EventServiceEnv>(service: EventServiceDefinition<TConfig>, config: TConfig): DynamicModule {
  const topology = ServiceTopology[service.name];
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
      OutboxRelayModule.forRoot(outboxRelayOptionsFrom(config, [...topology.publishes])),
      ConsumerStatusModule.forRoot({ consumerGroup: config.KAFKA_GROUP_ID, topics: [...topology.consumes] }),
      service.feature(config),
    ],
  };
}
