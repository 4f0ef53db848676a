import { DynamicModule, Global, Module } from '@nestjs/common';
import { KafkaSettings } from './kafka/kafka-settings';
import { createKafkaDriver } from './kafka/kafka-drivers';
import { KAFKA_DRIVER, KAFKA_SETTINGS } from './messaging.tokens';

/** Provides the service's Kafka settings and driver (the client KAFKA_CLIENT names) to every module. */
@Global()
@Module({})
export class MessagingModule {
  static forRoot(settings: KafkaSettings): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        { provide: KAFKA_SETTINGS, useValue: settings },
        { provide: KAFKA_DRIVER, useFactory: () => createKafkaDriver(settings) },
      ],
      exports: [KAFKA_SETTINGS, KAFKA_DRIVER],
    };
  }
}
