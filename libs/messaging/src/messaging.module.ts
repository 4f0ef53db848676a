import { DynamicModule, Global, Module } from '@nestjs/common';
import { createKafka, KafkaSettings } from './kafka/kafka-settings';
import { KAFKA_CLIENT, KAFKA_SETTINGS } from './messaging.tokens';

/** Provides the service's Kafka settings and client to every module. */
@Global()
@Module({})
export class MessagingModule {
  static forRoot(settings: KafkaSettings): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        { provide: KAFKA_SETTINGS, useValue: settings },
        { provide: KAFKA_CLIENT, useFactory: () => createKafka(settings) },
      ],
      exports: [KAFKA_SETTINGS, KAFKA_CLIENT],
    };
  }
}
