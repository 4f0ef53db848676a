import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TopicName } from '@relay/contracts';
import { KafkaSettings } from './kafka/kafka-settings';
import { createKafkaDriver } from './kafka/kafka-drivers';
import { KafkaDriver } from './kafka/driver/kafka-driver';
import { OutboxPublisher, OutboxPublisherOptions } from './outbox/outbox-publisher';
import { EventConsumerOptions, EventConsumerServer } from './consumer/event-consumer.server';
import { ConsumerStats } from './consumer/consumer-stats';
import { ConsumerStatusController } from './consumer/consumer-status.controller';
import { CONSUMER_GROUP, CONSUMER_TOPICS, KAFKA_DRIVER, KAFKA_SETTINGS } from './messaging.tokens';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController, ShutdownState } from './health/health.controller';
import { messagingMetrics, onMetricsScrape } from './metrics';

const OUTBOX_RELAY_OPTIONS = Symbol('OUTBOX_RELAY_OPTIONS');

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

export interface OutboxRelayModuleOptions extends Omit<OutboxPublisherOptions, 'topics'> {
  publishes: TopicName[];
}

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

/** Runs the outbox relay inside a service: it starts with the app and drains before the app stops. */
@Module({})
export class OutboxRelayModule {
  static forRoot(options: OutboxRelayModuleOptions): DynamicModule {
    return {
      module: OutboxRelayModule,
      providers: [{ provide: OUTBOX_RELAY_OPTIONS, useValue: options }, OutboxRelayService],
      exports: [OutboxRelayService],
    };
  }
}

/** `GET /health/live` and `GET /health/ready` (see HealthController). */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [ShutdownState],
})
export class HealthModule {}

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

/**
 * Attaches an event consumer to a Nest app: `@EventPattern` handlers in the app's controllers
 * receive events with Relay's delivery guarantees (see EventConsumerServer).
 */
export function connectEventConsumer(app: INestApplication, options: Omit<EventConsumerOptions, 'dataSource' | 'stats'>): void {
  const stats = app.get(ConsumerStats, { strict: false });
  app.connectMicroservice({
    strategy: new EventConsumerServer({ ...options, dataSource: app.get(DataSource), stats }),
  });
}
