import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { CONSUMER_GROUP, CONSUMER_TOPICS, KAFKA_CLIENT } from '../messaging.tokens';
import { messagingMetrics, onMetricsScrape } from '../metrics';
import { consumerGroupLag } from './consumer-lag';

/** Feeds the per-partition lag gauge from the group's committed and end offsets at scrape time. */
@Injectable()
export class ConsumerLagMetrics implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private unregister: (() => void) | undefined;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(CONSUMER_GROUP) private readonly group: string,
    @Inject(CONSUMER_TOPICS) private readonly topics: string[],
  ) {}

  onApplicationBootstrap(): void {
    this.unregister = onMetricsScrape('lag', async () => {
      for (const partition of await consumerGroupLag(this.kafka, this.group, this.topics)) {
        messagingMetrics.consumerLag.set({ group: this.group, topic: partition.topic, partition: String(partition.partition) }, Number(partition.lag));
      }
    });
  }

  beforeApplicationShutdown(): void {
    this.unregister?.();
  }
}
