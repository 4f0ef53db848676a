import { Consumer, Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { anOrderPlacedV1, OrderPlacedV1, TopicName } from '@relay/contracts';
import { integrationEnv, openTestDataSource, uniqueName, waitFor } from '@relay/testing';
import { outboxPersistence } from '../migrations';
import { appendToOutbox } from './append-events';
import { OutboxRelay } from './outbox-relay';

jest.setTimeout(120_000);

describe('OutboxRelay against real Kafka and PostgreSQL', () => {
  const env = integrationEnv();
  const schema = uniqueName('it_outbox');
  // The contract with a topic of this test's own, so nothing else reads or writes it.
  const topic = uniqueName('it-outbox-topic') as TopicName;
  const contract = { ...OrderPlacedV1, topic };
  const kafka = new Kafka({ clientId: 'outbox-it', brokers: env.kafkaBrokers, logLevel: logLevel.NOTHING });
  const received: KafkaMessage[] = [];
  const topics = [{ topic, numPartitions: 3, replicationFactor: 1 }];
  let dataSource: Awaited<ReturnType<typeof openTestDataSource>>;
  let consumer: Consumer;
  let relay: OutboxRelay | undefined;

  const eventIds = () => received.map((message) => JSON.parse(message.value!.toString()).eventId as string);
  const unpublished = async () => Number((await dataSource.query('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL'))[0].n);

  beforeAll(async () => {
    dataSource = await openTestDataSource(env.databaseUrl, schema, outboxPersistence);
  });

  afterEach(async () => {
    await relay?.stop();
    relay = undefined;
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await dataSource?.drop();
  });

  it('keeps events committed while Kafka is unreachable, then publishes them in order per key', async () => {
    const unreachable = new Kafka({ clientId: 'outbox-it-down', brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    // One aggregate's events share a key, hence a partition, hence an order.
    const orderId = anOrderPlacedV1().data.orderId;
    const events = [anOrderPlacedV1({ orderId }), anOrderPlacedV1({ orderId }), anOrderPlacedV1({ orderId })];
    for (const event of events) {
      await dataSource.transaction((manager) => appendToOutbox(manager, contract, event));
    }
    const downRelay = new OutboxRelay(dataSource, unreachable, { schema, databaseUrl: env.databaseUrl, topics });
    await expect(downRelay.publishPending()).rejects.toThrow();
    expect(await unpublished()).toBe(3);

    relay = new OutboxRelay(dataSource, kafka, { schema, databaseUrl: env.databaseUrl, topics });
    relay.start();
    await waitFor(async () => (await unpublished()) === 0, { description: 'the queued rows to be published' });

    consumer = kafka.consumer({ groupId: uniqueName('outbox-it-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void received.push(message) });
    await waitFor(() => received.length >= 3, { description: 'three published events' });
    expect(eventIds()).toEqual(events.map((event) => event.eventId));
    expect(received.map((message) => message.key?.toString())).toEqual(events.map((event) => event.data.orderId));
    expect(received[0].headers?.['x-event-type']?.toString()).toBe('order.placed.v1');
  });

  it('never publishes the event of a rolled-back transaction', async () => {
    const rolledBack = anOrderPlacedV1();
    const committed = anOrderPlacedV1();
    await expect(
      dataSource.transaction(async (manager) => {
        await appendToOutbox(manager, contract, rolledBack);
        throw new Error('the order failed to save');
      }),
    ).rejects.toThrow('the order failed to save');
    await dataSource.transaction((manager) => appendToOutbox(manager, contract, committed));

    relay = new OutboxRelay(dataSource, kafka, { schema, databaseUrl: env.databaseUrl, topics });
    relay.start();
    await waitFor(() => eventIds().includes(committed.eventId), { description: 'the committed event' });
    expect(eventIds()).not.toContain(rolledBack.eventId);
  });

  it('wakes on NOTIFY at commit instead of waiting for its poll', async () => {
    relay = new OutboxRelay(dataSource, kafka, { schema, databaseUrl: env.databaseUrl, topics, pollIntervalMs: 60_000 });
    relay.start();
    await waitFor(async () => (await unpublished()) === 0, { description: 'an idle relay' });
    // Give the relay time to be parked in its 60 s poll wait with the LISTEN connection up.
    await waitFor(async () => Number((await dataSource.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1`, [`${schema}-outbox-listener`]))[0].n) > 0, {
      description: 'the LISTEN connection',
    });
    const event = anOrderPlacedV1();
    await dataSource.transaction((manager) => appendToOutbox(manager, contract, event));
    await waitFor(() => eventIds().includes(event.eventId), { description: 'the event well before the 60 s poll', timeoutMs: 10_000 });
  });

  it('replaces its own database connection when PostgreSQL drops it, and publishes on', async () => {
    relay = new OutboxRelay(dataSource, kafka, { schema, databaseUrl: env.databaseUrl, topics, pollIntervalMs: 100 });
    relay.start();
    const before = anOrderPlacedV1();
    await dataSource.transaction((manager) => appendToOutbox(manager, contract, before));
    await waitFor(() => eventIds().includes(before.eventId), { description: 'an event through the first connection' });
    const [{ terminated }] = await dataSource.query(
      `SELECT count(pg_terminate_backend(pid))::int AS terminated FROM pg_stat_activity WHERE application_name = $1`,
      [`${schema}-outbox-relay`],
    );
    expect(terminated).toBe(1);
    const after = anOrderPlacedV1();
    await dataSource.transaction((manager) => appendToOutbox(manager, contract, after));
    await waitFor(() => eventIds().includes(after.eventId), { description: 'an event through a new connection' });
    expect(await unpublished()).toBe(0);
  });

  it('takes over from a relay frozen mid-batch once PostgreSQL ends its idle transaction', async () => {
    // The frozen relay's producer is the real one, held at the door of its send: it has claimed the
    // batch and holds the publisher lock, as a process stopped while Kafka acknowledges would.
    let entered = false;
    let thaw!: () => void;
    const thawed = new Promise<void>((resolve) => (thaw = resolve));
    const frozenKafka = Object.create(kafka) as Kafka;
    frozenKafka.producer = (config) => {
      const producer = kafka.producer(config);
      return {
        ...producer,
        sendBatch: async (batch) => {
          entered = true;
          await thawed;
          return producer.sendBatch(batch);
        },
      };
    };
    const event = anOrderPlacedV1();
    await dataSource.transaction((manager) => appendToOutbox(manager, contract, event));
    const frozen = new OutboxRelay(dataSource, frozenKafka, { schema, databaseUrl: env.databaseUrl, topics, idleInTransactionTimeoutMs: 1_000 });
    const frozenBatch = frozen.publishPending();
    frozenBatch.catch(() => undefined); // judged below; no unhandled rejection if the test fails first
    try {
      await waitFor(() => entered, { description: 'the frozen relay to claim the row and hold the lock' });

      relay = new OutboxRelay(dataSource, kafka, { schema, databaseUrl: env.databaseUrl, topics, pollIntervalMs: 100 });
      relay.start();
      await waitFor(async () => (await unpublished()) === 0 && eventIds().includes(event.eventId), {
        description: 'the other relay to publish the row while the first is still frozen',
        timeoutMs: 15_000,
      });

      // Thawed, the first relay sends its batch again (a duplicate that consumers drop by eventId),
      // but its stamp is refused: PostgreSQL ended its session, and with it the transaction and the lock.
      thaw();
      await expect(frozenBatch).rejects.toThrow();
      await relay.stop();
      relay = undefined;
      const later = anOrderPlacedV1();
      await dataSource.transaction((manager) => appendToOutbox(manager, contract, later));
      await expect(frozen.publishPending()).resolves.toBe(1);
      await waitFor(() => eventIds().includes(later.eventId), { description: 'the thawed relay publishing on a new connection' });
    } finally {
      thaw();
      await frozen.stop();
    }
  });

  it('lets several relays share one outbox: every row published once, one order\'s events in order', async () => {
    // Small batches and four relays: the lock changes hands often, which is where a row could go out twice.
    const relays = [1, 2, 3, 4].map(() => new OutboxRelay(dataSource, kafka, { schema, databaseUrl: env.databaseUrl, topics, batchSize: 2, pollIntervalMs: 50 }));
    const orderIds = Array.from({ length: 5 }, () => anOrderPlacedV1().data.orderId);
    const events = Array.from({ length: 120 }, (_, i) => anOrderPlacedV1({ orderId: orderIds[i % orderIds.length] }));
    relays.forEach((each) => each.start());
    try {
      for (const event of events) await dataSource.transaction((manager) => appendToOutbox(manager, contract, event));
      await waitFor(async () => (await unpublished()) === 0, { description: 'all rows to be published' });
      const ids = new Set(events.map((event) => event.eventId));
      await waitFor(() => eventIds().filter((id) => ids.has(id)).length >= events.length, { description: 'all 120 events on the topic' });
      const published = eventIds().filter((id) => ids.has(id));
      expect(published).toHaveLength(events.length);
      for (const orderId of orderIds) {
        const expected = events.filter((event) => event.data.orderId === orderId).map((event) => event.eventId);
        expect(published.filter((id) => expected.includes(id))).toEqual(expected);
      }
    } finally {
      await Promise.all(relays.map((each) => each.stop()));
    }
  });
});
