import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { KafkaDriver } from '../kafka/driver/kafka-driver';
import { CONSUMER_GROUP, CONSUMER_TOPICS, KAFKA_DRIVER } from '../messaging.tokens';
import { messagingMetrics, onMetricsScrape } from '../metrics';

/** Feeds the per-partition lag gauge from the group's committed and end offsets at scrape time. */
@Injectable()
export class ConsumerLagMetrics implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private unregister: (() => void) | undefined;

  constructor(
    @Inject(KAFKA_DRIVER) private readonly driver: KafkaDriver,
    @Inject(CONSUMER_GROUP) private readonly group: string,
    @Inject(CONSUMER_TOPICS) private readonly topics: string[],
  ) {}

  onApplicationBootstrap(): void {
    this.unregister = onMetricsScrape('lag', async () => {
      for (const partition of await this.driver.groupLag(this.group, this.topics)) {
        messagingMetrics.consumerLag.set({ group: this.group, topic: partition.topic, partition: String(partition.partition) }, Number(partition.lag));
      }
    });
  }

  beforeApplicationShutdown(): void {
    this.unregister?.();
  }
}
