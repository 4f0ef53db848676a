import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { KafkaSettings } from '../kafka/kafka-settings';
import { createKafkaDriver } from '../kafka/kafka-drivers';
import { messagingMetrics, onMetricsScrape } from '../metrics';
import { OutboxPublisher } from './outbox-publisher';
import { KAFKA_SETTINGS, OUTBOX_RELAY_OPTIONS } from '../messaging.tokens';
import { OutboxRelayModuleOptions } from './outbox-relay.options';

@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private publisher: OutboxPublisher | undefined;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(KAFKA_SETTINGS) private readonly settings: KafkaSettings,
    @Inject(OUTBOX_RELAY_OPTIONS) private readonly options: OutboxRelayModuleOptions,
  ) {}

  private unregisterMetrics: (() => void) | undefined;

  /** Chooses the outbox (and creates its replication slot) before the app takes requests: Nest opens the port after this. */
  async onApplicationBootstrap(): Promise<void> {
    const { publishes, ...options } = this.options;
    const topics = publishes.map((topic) => ({ topic, numPartitions: this.settings.topicPartitions, replicationFactor: this.settings.replicationFactor }));
    // The client KAFKA_CLIENT names, as the consumer's; a driver of its own, so its connections are too.
    const publisher = await OutboxPublisher.create(this.dataSource, createKafkaDriver(this.settings), { ...options, topics });
    this.publisher = publisher;
    publisher.start();
    this.unregisterMetrics = onMetricsScrape('backlog', async () => {
      const backlog = await publisher.backlog();
      messagingMetrics.outboxBacklog.set(backlog.rows);
      messagingMetrics.outboxOldestAgeSeconds.set(backlog.oldestAgeSeconds);
      messagingMetrics.outboxWalBacklogBytes.set(backlog.walBytes ?? 0);
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.unregisterMetrics?.();
    await this.publisher?.stop();
  }
}
