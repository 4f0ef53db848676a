import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConsumerStats } from './consumer-stats';
import { EventConsumerOptions, EventConsumerServer } from './event-consumer.server';

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
