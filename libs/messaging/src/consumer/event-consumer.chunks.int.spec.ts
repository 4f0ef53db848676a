import 'reflect-metadata';
import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { anOrderPlacedV1, createEnvelope, OrderCancelledV1, OrderPlacedV1, Topics } from '@relay/contracts';
import { integrationEnv, openTestDataSource, uniqueName, waitFor } from '@relay/testing';
import { inboxPersistence } from '../migrations';
import { ConsumedBatchContext, ConsumedEventContext } from './consumed-event.context';
import { ConsumerStats } from './consumer-stats';
import { EventConsumerServer } from './event-consumer.server';
import { OnEvent, OnEvents } from './on-event.decorator';

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

  /** A batch handler: records each run it gets, writes one effect row per event. */
  @OnEvents(OrderCancelledV1)
  async onOrdersCancelled(@Payload() events: OrderCancelledV1[], @Ctx() context: ConsumedBatchContext): Promise<void> {
    runs.push(events.map((event) => event.data.orderId));
    await context.manager.query('INSERT INTO effects (order_id) SELECT unnest($1::uuid[])', [events.map((event) => event.data.orderId)]);
    for (const event of events) {
      offsets.push(context.offsetOf(event));
      if (failOnce.delete(event.data.orderId)) throw new Error(`one-off failure for ${event.data.orderId}`);
    }
  }
}

const runs: string[][] = [];
const offsets: (string | undefined)[] = [];
const aCancellation = () => {
  const orderId = randomUUID();
  return createEnvelope(OrderCancelledV1, { data: { orderId, reason: 'test', cancelledAt: new Date().toISOString() }, producer: OrderCancelledV1.producer, correlationId: orderId });
};

@Module({ controllers: [ChunkTestHandler] })
class ChunkTestModule {}

// Each Kafka client behind the driver port (KAFKA_CLIENT) passes the same tests.
describe.each(['kafkajs', 'platformatic'] as const)('EventConsumerServer on %s applying chunks of a partition in one transaction', (client) => {
  const env = integrationEnv();
  const group = uniqueName(`it_chunks_${client}`);
  const stats = new ConsumerStats();
  const kafka = new Kafka({ clientId: 'chunks-it', brokers: env.kafkaBrokers, ...env.kafkaClient, logLevel: logLevel.NOTHING });
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
        kafka: { brokers: env.kafkaBrokers, clientId: group, security: env.kafkaSecurity, topicPartitions: 6, replicationFactor: 1, client },
        consumerGroup: group,
        dataSource,
        stats,
        chunkSize: 25,
        partitionsConsumedConcurrently: 1,
        sessionTimeoutMs: 15_000,
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

  it('hands a batch handler each run of consecutive new events, without duplicates, and runs of one after a failure', async () => {
    const key = randomUUID();
    const placed = [anOrderPlacedV1(), anOrderPlacedV1()];
    const cancelled = Array.from({ length: 6 }, aCancellation);
    const [c1, c2, c3, c4, c5, c6] = cancelled;
    const sequence = [placed[0], c1, c2, c3, placed[1], c4, c5, c2, c6];
    await producer.send({ topic: Topics.orderEvents, acks: -1, messages: sequence.map((event) => ({ key, value: JSON.stringify(event) })) });
    const idsOf = (events: { data: { orderId: string } }[]) => events.map((event) => event.data.orderId);
    const ours = (run: string[]) => run.some((id) => idsOf(cancelled).includes(id));
    await waitFor(() => runs.filter(ours).flat().length >= 6, { description: 'the six cancellations to be handled', timeoutMs: 60_000 });
    // The placed order splits the runs; the repeated c2 is left out, so c4..c6 stay one run.
    expect(runs.filter(ours)).toEqual([idsOf([c1, c2, c3]), idsOf([c4, c5, c6])]);

    const failing = [aCancellation(), aCancellation()];
    failOnce.add(failing[0].data.orderId);
    await producer.send({ topic: Topics.orderEvents, acks: -1, messages: failing.map((event) => ({ key, value: JSON.stringify(event) })) });
    const failingIds = idsOf(failing);
    const runsOfFailing = () => runs.filter((run) => run.some((id) => failingIds.includes(id)));
    await waitFor(() => runsOfFailing().flat().filter((id) => id === failingIds[1]).length >= 1 && runsOfFailing().length >= 3, { description: 'the failed run to be retried one by one' });
    // f0 fails in the chunk [f0, f1], which rolls back; one by one, f0 (its one failure spent) and
    // f1 are applied as runs of one.
    expect(runsOfFailing()).toEqual([failingIds, [failingIds[0]], [failingIds[1]]]);
    const rows: { order_id: string; n: string }[] = await dataSource.query('SELECT order_id::text, count(*) AS n FROM effects WHERE order_id = ANY($1::uuid[]) GROUP BY order_id', [
      [...idsOf(cancelled), ...failingIds],
    ]);
    expect(rows).toHaveLength(8);
    expect(rows.every((row) => row.n === '1')).toBe(true);
    expect(offsets.every((offset) => offset !== undefined && /^\d+$/.test(offset))).toBe(true);
  });
});
