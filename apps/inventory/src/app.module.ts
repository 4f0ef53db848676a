import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Topics } from '@relay/contracts';
import { ConsumerStatusModule, HealthModule, kafkaSettingsFrom, MessagingModule, OutboxRelayModule, outboxRelayOptionsFrom } from '@relay/messaging';
import { inventoryPersistence } from '@relay/inventory/data-access';
import { InventoryModule } from '@relay/inventory/feature';
import { ObservabilityModule, openPostgresDataSource, postgresDataSourceOptions } from '@relay/service-runtime';
import { InventoryConfig } from './config/inventory.config';

@Module({})
export class AppModule {
  static forRoot(config: InventoryConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot({ service: 'inventory', level: config.LOG_LEVEL, format: config.LOG_FORMAT }),
        TypeOrmModule.forRootAsync({
          useFactory: () =>
            postgresDataSourceOptions(
              { url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, applicationName: 'inventory', poolSize: config.DATABASE_POOL_SIZE },
              inventoryPersistence,
            ),
          dataSourceFactory: (options) => openPostgresDataSource(options!, config.DATABASE_SCHEMA),
        }),
        MessagingModule.forRoot(kafkaSettingsFrom(config)),
        HealthModule,
        OutboxRelayModule.forRoot(outboxRelayOptionsFrom(config, [Topics.inventoryEvents])),
        ConsumerStatusModule.forRoot({ consumerGroup: config.KAFKA_GROUP_ID, topics: [Topics.orderEvents] }),
        InventoryModule,
      ],
    };
  }
}
