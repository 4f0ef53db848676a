import 'reflect-metadata';
import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { Consumer, Kafka, KafkaMessage, logLevel, Producer } from 'kafkajs';
import { anOrderPlacedV1, createEnvelope, deadLetterTopicFor, OrderPlacedV1, StockReservedV1, Topics } from '@relay/contracts';
import { integrationEnv, openTestDataSource, uniqueName, waitFor } from '@relay/testing';
import { inboxPersistence } from '../migrations';
import { RELAY_PRODUCER_HEADER, RELAY_SEQUENCE_HEADER, REPLAY_OF_HEADER } from '../event-headers';
import { producerSequence } from '../position/producer-sequence';
import { consumerGroupLag } from '../kafka/kafkajs/kafkajs-consumer-lag';
import { ConsumedEventContext } from './consumed-event.context';
import { ConsumerStats } from './consumer-stats';
import { DeadLetterHeaders } from './dead-letter';
import { EventConsumerServer } from './event-consumer.server';
import { NonRetriableError } from './failure-policy';
import { OnEvent } from './on-event.decorator';
import { Ctx, Payload } from '@nestjs/microservices';

jest.setTimeout(120_000);

/** What the test handler does per order: fail a number of times, lose its database connection a number of times, or refuse for good. */
const behaviour = new Map<string, { failTimes?: number; cutOffTimes?: number; nonRetriable?: boolean }>();
const attempts = new Map<string, number>();

@Controller()
class TestOrderHandler {
  @OnEvent(OrderPlacedV1)
  async onOrderPlaced(@Payload() event: OrderPlacedV1, @Ctx() context: ConsumedEventContext): Promise<void> {
    const orderId = event.data.orderId;
    const attempt = (attempts.get(orderId) ?? 0) + 1;
    attempts.set(orderId, attempt);
    // The effect is written before the failure: a failed attempt must leave no trace.
    await context.manager.query('INSERT INTO effects (order_id, attempt) VALUES ($1, $2)', [orderId, attempt]);
    const plan = behaviour.get(orderId) ?? {};
    // PostgreSQL ends this session mid-transaction, as a database shutdown or failover does.
    if (attempt <= (plan.cutOffTimes ?? 0)) await context.manager.query('SELECT pg_terminate_backend(pg_backend_pid())');
    if (plan.nonRetriable) throw new NonRetriableError(`order ${orderId} can never be handled`);
    if (attempt <= (plan.failTimes ?? 0)) throw new Error(`transient failure ${attempt} for ${orderId}`);
  }
}

@Module({ controllers: [TestOrderHandler] })
class TestModule {}

// Each Kafka client behind the driver port (KAFKA_CLIENT) passes the same tests.
describe.each(['kafkajs', 'platformatic'] as const)('EventConsumerServer on %s against real Kafka and PostgreSQL', (client) => {
  const env = integrationEnv();
  const group = uniqueName(`it_consumer_${client}`);
  const kafka = new Kafka({ clientId: 'consumer-it', brokers: env.kafkaBrokers, ...env.kafkaClient, logLevel: logLevel.NOTHING });
  const stats = new ConsumerStats();
  const dlqMessages: KafkaMessage[] = [];
  let dataSource: Awaited<ReturnType<typeof openTestDataSource>>;
  let app: INestMicroservice;
  let producer: Producer;
  let dlqConsumer: Consumer;

  const publish = async (...messages: { key: string; value: Buffer | string | null }[]) => {
    await producer.send({ topic: Topics.orderEvents, acks: -1, messages });
  };
  const publishEvent = (event: OrderPlacedV1) => publish({ key: event.data.orderId, value: JSON.stringify(event) });
  const effectsOf = async (orderId: string): Promise<number[]> =>
    (await dataSource.query('SELECT attempt FROM effects WHERE order_id = $1 ORDER BY attempt', [orderId])).map((row: { attempt: number }) => row.attempt);
  const dlqFor = (predicate: (message: KafkaMessage) => boolean) =>
    waitFor(() => dlqMessages.find(predicate), { description: 'a dead-letter record', timeoutMs: 30_000 });
  const header = (message: KafkaMessage, name: string) => message.headers?.[name]?.toString();

  const startConsumer = async (counters: ConsumerStats): Promise<INestMicroservice> => {
    const started = await NestFactory.createMicroservice(TestModule, {
      logger: false,
      strategy: new EventConsumerServer({
        kafka: { brokers: env.kafkaBrokers, clientId: group, security: env.kafkaSecurity, topicPartitions: 6, replicationFactor: 1, client },
        consumerGroup: group,
        dataSource,
        stats: counters,
        // What this suite asserts (attempts per event) assumes one event per transaction, one partition at a time.
        chunkSize: 1,
        partitionsConsumedConcurrently: 1,
        sessionTimeoutMs: 15_000,
        failurePolicy: { maxAttempts: 3, initialBackoffMs: 20, maxBackoffMs: 100 },
      }),
    });
    await started.listen();
    // The server connects in the background (so an app starts while Kafka is down): wait for it.
    await waitFor(() => counters.joined, { description: 'the consumer to join its group', timeoutMs: 60_000 });
    return started;
  };

  beforeAll(async () => {
    dataSource = await openTestDataSource(env.databaseUrl, group, inboxPersistence);
    await dataSource.query('CREATE TABLE effects (order_id uuid NOT NULL, attempt int NOT NULL)');
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();

    app = await startConsumer(stats);
    // The topic is shared with other suites (some running alongside): read their events first, so
    // each test's deadline measures its own events, not a backlog of a few hundred.
    await waitFor(async () => (await consumerGroupLag(kafka, group, [Topics.orderEvents])).every((partition) => partition.lag === '0'), {
      description: 'the consumer to catch up with the events already on the topic',
      timeoutMs: 90_000,
    });

    dlqConsumer = kafka.consumer({ groupId: `${group}-dlq-reader` });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: deadLetterTopicFor(Topics.orderEvents, group), fromBeginning: true });
    await dlqConsumer.run({ eachMessage: async ({ message }) => void dlqMessages.push(message) });
  });

  afterAll(async () => {
    await app?.close();
    await dlqConsumer?.disconnect();
    await producer?.disconnect();
    await dataSource?.drop();
  });

  it('applies an event once, even when it is delivered twice', async () => {
    const event = anOrderPlacedV1();
    const duplicatesBefore = stats.duplicates;
    await publishEvent(event);
    await publishEvent(event);
    await waitFor(async () => stats.duplicates > duplicatesBefore && (await effectsOf(event.data.orderId)).length === 1, { description: 'one effect and one duplicate' });
    expect(await effectsOf(event.data.orderId)).toEqual([1]);
  });

  it.each([
    ['retries a transient failure in place and keeps only the successful attempt', { failTimes: 2 }, 3],
    // More lost connections than the policy's 3 attempts: parking it would be wrong, the message is fine.
    ["waits out a database outage without using up the message's attempts, then applies it once", { cutOffTimes: 5 }, 6],
  ])('%s', async (_name, plan, succeedingAttempt) => {
    const event = anOrderPlacedV1();
    behaviour.set(event.data.orderId, plan);
    const retriedBefore = stats.retried;
    await publishEvent(event);
    await waitFor(async () => (await effectsOf(event.data.orderId)).length > 0, { description: 'the effect' });
    expect(await effectsOf(event.data.orderId)).toEqual([succeedingAttempt]);
    expect(stats.retried - retriedBefore).toBe(succeedingAttempt - 1);
    expect(dlqMessages.some((message) => message.key?.toString() === event.data.orderId)).toBe(false);
  });

  it('parks a message that keeps failing, with provenance, and moves on to the next one', async () => {
    const failing = anOrderPlacedV1();
    const next = anOrderPlacedV1({ orderId: randomUUID() });
    behaviour.set(failing.data.orderId, { failTimes: 99 });
    // Same key: same partition, so `next` can only be processed once `failing` is out of the way.
    await publish(
      { key: failing.data.orderId, value: JSON.stringify(failing) },
      { key: failing.data.orderId, value: JSON.stringify(next) },
    );
    // Other suites may park garbage from the shared topic on this group's dead-letter topic too.
    const parked = await dlqFor((message) => message.value?.toString().includes(failing.eventId) === true);
    expect(header(parked, DeadLetterHeaders.originalTopic)).toBe(Topics.orderEvents);
    expect(header(parked, DeadLetterHeaders.consumerGroup)).toBe(group);
    expect(header(parked, DeadLetterHeaders.attempts)).toBe('3');
    expect(header(parked, DeadLetterHeaders.errorClass)).toBe('Error');
    expect(header(parked, DeadLetterHeaders.errorMessage)).toContain('transient failure 3');
    expect(header(parked, DeadLetterHeaders.originalPartition)).toMatch(/^\d+$/);
    expect(header(parked, DeadLetterHeaders.originalOffset)).toMatch(/^\d+$/);
    expect(parked.key?.toString()).toBe(failing.data.orderId);
    expect(await effectsOf(failing.data.orderId)).toEqual([]);
    await waitFor(async () => (await effectsOf(next.data.orderId)).length === 1, { description: 'the next message on the partition' });
  });

  it('parks a non-retriable failure at once', async () => {
    const event = anOrderPlacedV1();
    behaviour.set(event.data.orderId, { nonRetriable: true });
    await publishEvent(event);
    const parked = await dlqFor((message) => message.key?.toString() === event.data.orderId);
    expect(header(parked, DeadLetterHeaders.attempts)).toBe('1');
    expect(header(parked, DeadLetterHeaders.errorClass)).toBe('NonRetriableError');
    expect(attempts.get(event.data.orderId)).toBe(1);
  });

  it.each([
    ['not-json', Buffer.from([0xde, 0xad, 0xbe, 0xef]), /not JSON/],
    ['bad-data', JSON.stringify({ ...anOrderPlacedV1(), data: { orderId: 'not-a-uuid' } }), /invalid order\.placed\.v1 data/],
    ['unknown-event', JSON.stringify({ ...anOrderPlacedV1(), version: 99 }), /unknown event order\.placed\.v99/],
    // A stock event on the orders topic: whoever wrote it may write that topic but is not inventory.
    [
      'wrong-topic',
      JSON.stringify(createEnvelope(StockReservedV1, { data: { orderId: randomUUID(), lines: [{ sku: 'SKU-1', quantity: 1 }] }, producer: 'inventory', correlationId: 'forged' })),
      /^stock\.reserved\.v1 belongs on relay\.inventory\.v1, not on relay\.orders\.v1$/,
    ],
    // An order event whose envelope says inventory wrote it.
    ['wrong-producer', JSON.stringify(anOrderPlacedV1({}, { producer: 'inventory' })), /^order\.placed\.v1 is published by orders, not by "inventory"$/],
  ])('parks a poison message (%s) without retrying, with the reason, and carries on', async (reason, value, why) => {
    const key = randomUUID();
    const after = anOrderPlacedV1({ orderId: key });
    await publish({ key, value }, { key, value: JSON.stringify(after) });
    const parked = await dlqFor((message) => message.key?.toString() === key && header(message, DeadLetterHeaders.errorClass) === `PoisonMessage:${reason}`);
    expect(header(parked, DeadLetterHeaders.attempts)).toBe('1');
    expect(header(parked, DeadLetterHeaders.errorMessage)).toMatch(why);
    expect(parked.value).toEqual(Buffer.isBuffer(value) ? value : Buffer.from(value));
    await waitFor(async () => (await effectsOf(key)).length === 1, { description: 'the valid event after the poison one' });
  });

  it('applies a sequenced event once when a relay publishes it twice, at two offsets, without a row per event', async () => {
    const producerId = `it-relay-${randomUUID()}`;
    const first = anOrderPlacedV1();
    const second = anOrderPlacedV1({ orderId: first.data.orderId });
    const sequenced = (event: OrderPlacedV1, lsn: bigint) => ({
      key: first.data.orderId,
      value: JSON.stringify(event),
      headers: { [RELAY_PRODUCER_HEADER]: producerId, [RELAY_SEQUENCE_HEADER]: producerSequence(lsn, 0) },
    });
    const duplicatesBefore = stats.duplicates;
    // The relay crashed after Kafka's ack of `first` and published it again, then went on.
    await producer.send({ topic: Topics.orderEvents, acks: -1, messages: [sequenced(first, 100n), sequenced(first, 100n), sequenced(second, 101n)] });
    await waitFor(async () => (await effectsOf(first.data.orderId)).length === 2, { description: 'the effects of both events' });
    expect(stats.duplicates - duplicatesBefore).toBe(1);
    const [{ n }] = await dataSource.query('SELECT count(*)::int AS n FROM processed_events WHERE event_id = ANY($1::uuid[])', [[first.eventId, second.eventId]]);
    expect(n).toBe(0);
  });

  it('applies a dead-letter replay once, also when replayed twice, and never a replay of a message it applied', async () => {
    const parkedEvent = anOrderPlacedV1();
    const appliedEvent = anOrderPlacedV1();
    behaviour.set(parkedEvent.data.orderId, { nonRetriable: true });
    await publishEvent(parkedEvent);
    const [sentApplied] = await producer.send({ topic: Topics.orderEvents, acks: -1, messages: [{ key: appliedEvent.data.orderId, value: JSON.stringify(appliedEvent) }] });
    const parked = await dlqFor((message) => message.key?.toString() === parkedEvent.data.orderId);
    await waitFor(async () => (await effectsOf(appliedEvent.data.orderId)).length === 1, { description: 'the effect of the other event' });
    // The parking record commits with the position past the parked message.
    await waitFor(async () => (await dataSource.query('SELECT 1 FROM parked_events WHERE consumer_group = $1 AND event_id = $2', [group, parkedEvent.eventId])).length === 1, {
      description: 'the parking record',
    });

    // Fixed, the operator replays it twice; and another group replays a message this group applied.
    behaviour.delete(parkedEvent.data.orderId);
    const replay = (event: OrderPlacedV1, of: string) => ({ key: event.data.orderId, value: JSON.stringify(event), headers: { [REPLAY_OF_HEADER]: of } });
    const parkedOriginal = `${Topics.orderEvents}:${header(parked, DeadLetterHeaders.originalPartition)}:${header(parked, DeadLetterHeaders.originalOffset)}`;
    await producer.send({ topic: Topics.orderEvents, acks: -1, messages: [replay(parkedEvent, parkedOriginal)] });
    await producer.send({ topic: Topics.orderEvents, acks: -1, messages: [replay(parkedEvent, parkedOriginal), replay(appliedEvent, `${Topics.orderEvents}:${sentApplied.partition}:${sentApplied.baseOffset}`)] });
    await waitFor(async () => (await consumerGroupLag(kafka, group, [Topics.orderEvents])).every((partition) => partition.lag === '0'), { description: 'lag 0 after the replays' });
    // The parked event's first attempt failed before its effect was written (non-retriable), the replay's is the second.
    expect(await effectsOf(parkedEvent.data.orderId)).toEqual([2]);
    expect(await effectsOf(appliedEvent.data.orderId)).toEqual([1]);
    expect(await dataSource.query('SELECT 1 FROM parked_events WHERE consumer_group = $1 AND event_id = $2', [group, parkedEvent.eventId])).toEqual([]);
  });

  it('commits offsets only up to what it has processed: lag reaches zero once everything is done', async () => {
    await waitFor(async () => (await consumerGroupLag(kafka, group, [Topics.orderEvents])).every((partition) => partition.lag === '0'), {
      description: 'lag 0 on every partition',
    });
  });

  it('seeks, on assignment, past what it stored as applied but had not committed to Kafka', async () => {
    await app.close();
    // Applied and stored, then a crash before the offset commit: the position is ahead of Kafka's.
    const applied = anOrderPlacedV1();
    const [sent] = await producer.send({ topic: Topics.orderEvents, acks: -1, messages: [{ key: applied.data.orderId, value: JSON.stringify(applied) }] });
    await dataSource.query(
      `INSERT INTO consumer_positions (consumer_group, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
       ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET next_offset = excluded.next_offset`,
      [group, Topics.orderEvents, sent.partition, (BigInt(sent.baseOffset!) + 1n).toString()],
    );
    const restarted = new ConsumerStats();
    app = await startConsumer(restarted);
    await waitFor(() => restarted.seeks >= 1, { description: 'a seek to the stored position' });
    const marker = anOrderPlacedV1({ orderId: applied.data.orderId });
    await publishEvent(marker);
    await waitFor(async () => (await effectsOf(applied.data.orderId)).length === 1, { description: 'the event after the sought position' });
    // The stored event was not fetched again (not even to be skipped), and not applied.
    expect(restarted.duplicates).toBe(0);
    expect(attempts.get(applied.data.orderId)).toBe(1);
  });
});
