import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Topics } from '@relay/contracts';
import { ConsumerStatusModule, HealthModule, kafkaSettingsFrom, MessagingModule, OutboxRelayModule, outboxRelayOptionsFrom } from '@relay/messaging';
import { deliveryPersistence } from '@relay/delivery/data-access';
import { DeliveryModule } from '@relay/delivery/feature';
import { ObservabilityModule, openPostgresDataSource, postgresDataSourceOptions } from '@relay/service-runtime';
import { DeliveryConfig } from './config/delivery.config';

@Module({})
export class AppModule {
  static forRoot(config: DeliveryConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot({ service: 'delivery', level: config.LOG_LEVEL, format: config.LOG_FORMAT }),
        TypeOrmModule.forRootAsync({
          useFactory: () =>
            postgresDataSourceOptions(
              { url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, applicationName: 'delivery', poolSize: config.DATABASE_POOL_SIZE },
              deliveryPersistence,
            ),
          dataSourceFactory: (options) => openPostgresDataSource(options!, config.DATABASE_SCHEMA),
        }),
        MessagingModule.forRoot(kafkaSettingsFrom(config)),
        HealthModule,
        OutboxRelayModule.forRoot(outboxRelayOptionsFrom(config, [Topics.deliveryEvents])),
        ConsumerStatusModule.forRoot({ consumerGroup: config.KAFKA_GROUP_ID, topics: [Topics.orderEvents, Topics.inventoryEvents] }),
        DeliveryModule,
      ],
    };
  }
}
