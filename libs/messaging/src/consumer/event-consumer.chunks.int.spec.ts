import 'reflect-metadata';
import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { anOrderPlacedV1, OrderPlacedV1, Topics } from '@relay/contracts';
import { integrationEnv, openTestDataSource, uniqueName, waitFor } from '@relay/testing';
import { inboxPersistence } from '../migrations';
import { ConsumedEventContext } from './consumed-event.context';
import { ConsumerStats } from './consumer-stats';
import { EventConsumerServer } from './event-consumer.server';
import { OnEvent } from './on-event.decorator';

jest.setTimeout(120_000);

const failOnce = new Set<string>();
const attempts = new Map<string, number>();

@Controller()
class ChunkTestHandler {
  @OnEvent(OrderPlacedV1)
  async onOrderPlaced(@Payload() event: OrderPlacedV1, @Ctx() context: ConsumedEventContext): Promise<void> {
    const orderId = event.data.orderId;
    attempts.set(orderId, (attempts.get(orderId) ?? 0) + 1);
    await context.manager.query('INSERT INTO effects (order_id) VALUES ($1)', [orderId]);
    if (failOnce.delete(orderId)) throw new Error(`one-off failure for ${orderId}`);
  }
}

@Module({ controllers: [ChunkTestHandler] })
class ChunkTestModule {}

describe('EventConsumerServer applying chunks of a partition in one transaction', () => {
  const env = integrationEnv();
  const group = uniqueName('it_chunks');
  const stats = new ConsumerStats();
  const kafka = new Kafka({ clientId: 'chunks-it', brokers: env.kafkaBrokers, logLevel: logLevel.NOTHING });
  let dataSource: Awaited<ReturnType<typeof openTestDataSource>>;
  let app: INestMicroservice;
  let producer: Producer;

  beforeAll(async () => {
    dataSource = await openTestDataSource(env.databaseUrl, group, inboxPersistence);
    await dataSource.query('CREATE TABLE effects (order_id uuid NOT NULL)');
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    app = await NestFactory.createMicroservice(ChunkTestModule, {
      logger: false,
      strategy: new EventConsumerServer({
        kafka: { brokers: env.kafkaBrokers, clientId: group, topicPartitions: 6, replicationFactor: 1 },
        consumerGroup: group,
        dataSource,
        stats,
        chunkSize: 25,
        failurePolicy: { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 50 },
      }),
    });
    await app.listen();
    // The server connects in the background (so an app starts while Kafka is down): wait for it.
    await waitFor(() => stats.joined, { description: 'the consumer to join its group', timeoutMs: 60_000 });
  });

  afterAll(async () => {
    await app?.close();
    await producer?.disconnect();
    await dataSource?.drop();
  });

  it('applies every event exactly once, rolls back a failing chunk and retries its events one by one', async () => {
    // One key: one partition, so the events arrive as one batch and are cut into chunks.
    const key = randomUUID();
    const events = Array.from({ length: 60 }, () => anOrderPlacedV1());
    const flaky = events[30].data.orderId;
    failOnce.add(flaky);
    const messages = [...events, events[5], events[40]].map((event) => ({ key, value: JSON.stringify(event) }));
    await producer.send({ topic: Topics.orderEvents, acks: -1, messages });

    const ours = new Set(events.map((event) => event.data.orderId));
    const countEffects = async () => {
      const rows: { order_id: string; n: string }[] = await dataSource.query('SELECT order_id, count(*) AS n FROM effects GROUP BY order_id');
      return rows.filter((row) => ours.has(row.order_id));
    };
    const effects = await waitFor(async () => {
      const rows = await countEffects();
      return rows.length === events.length ? rows : undefined;
    }, { description: 'an effect for each of the 60 events', timeoutMs: 60_000 });
    expect(effects.every((row) => row.n === '1')).toBe(true);
    expect(attempts.get(flaky)).toBe(2);
    await waitFor(() => stats.duplicates >= 2, { description: 'the two redelivered events to be recognised' });
  });
});
