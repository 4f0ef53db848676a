import { DynamicModule, Module } from '@nestjs/common';
import { TopicName } from '@relay/contracts';
import { ConsumerLagMetrics } from './consumer-lag.metrics';
import { CONSUMER_GROUP, CONSUMER_TOPICS } from '../messaging.tokens';
import { ConsumerStats } from './consumer-stats';
import { ConsumerStatusController } from './consumer-status.controller';

/**
 * The status of a service's event consumer over HTTP: `GET /consumer` gives this instance's
 * counters and the group's committed offsets and lag per partition.
 */
@Module({})
export class ConsumerStatusModule {
  static forRoot(options: { consumerGroup: string; topics: TopicName[] }): DynamicModule {
    return {
      module: ConsumerStatusModule,
      controllers: [ConsumerStatusController],
      providers: [
        ConsumerStats,
        ConsumerLagMetrics,
        { provide: CONSUMER_GROUP, useValue: options.consumerGroup },
        { provide: CONSUMER_TOPICS, useValue: options.topics },
      ],
      exports: [ConsumerStats],
      global: true,
    };
  }
}
