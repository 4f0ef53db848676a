import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Topics } from '@relay/contracts';
import { ConsumerStatusModule, HealthModule, kafkaSettingsFrom, MessagingModule, OutboxRelayModule, outboxRelayOptionsFrom } from '@relay/messaging';
import { ordersPersistence } from '@relay/orders/data-access';
import { OrdersModule } from '@relay/orders/feature';
import { ObservabilityModule, openPostgresDataSource, postgresDataSourceOptions } from '@relay/service-runtime';
import { OrdersConfig } from './config/orders.config';

@Module({})
export class AppModule {
  static forRoot(config: OrdersConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot({ service: 'orders', level: config.LOG_LEVEL, format: config.LOG_FORMAT }),
        TypeOrmModule.forRootAsync({
          useFactory: () =>
            postgresDataSourceOptions(
              { url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, applicationName: 'orders', poolSize: config.DATABASE_POOL_SIZE },
              ordersPersistence,
            ),
          dataSourceFactory: (options) => openPostgresDataSource(options!, config.DATABASE_SCHEMA),
        }),
        MessagingModule.forRoot(kafkaSettingsFrom(config)),
        HealthModule,
        OutboxRelayModule.forRoot(outboxRelayOptionsFrom(config, [Topics.orderEvents])),
        ConsumerStatusModule.forRoot({ consumerGroup: config.KAFKA_GROUP_ID, topics: [Topics.inventoryEvents, Topics.deliveryEvents] }),
        OrdersModule,
      ],
    };
  }
}
