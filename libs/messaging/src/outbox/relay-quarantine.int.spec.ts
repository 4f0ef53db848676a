import { Consumer, Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { anOrderPlacedV1, OrderPlacedV1, TopicName } from '@relay/contracts';
import { KAFKA_CLIENTS, KafkaClientName } from '@relay/service-runtime';
import { integrationEnv, openTestDataSource, uniqueName, waitFor } from '@relay/testing';
import { aroundSends, testDriver } from '../kafka/driver/test-drivers';
import { outboxPersistence } from '../migrations';
import { RELAY_SEQUENCE_HEADER } from '../event-headers';
import { messagingMetrics } from '../metrics';
import { OutboxRelay } from './outbox-relay';
import { appendEventsToOutboxTable, outboxEntry } from './outbox-writer';
import { WalOutboxReader } from './wal-outbox.reader';
import { WalOutboxRelay } from './wal-outbox.relay';
import { appendEventsToWalOutbox } from './wal-outbox.writer';

jest.setTimeout(120_000);

/** The topic's max.message.bytes in these tests: an order with a long customer id is over it. */
const TOPIC_LIMIT = 2_000;

type Store = 'wal' | 'table';

/** An order.placed event made larger than the contract allows (the relays publish what was written, unchecked). */
function padded(bytes: number, orderId: string): ReturnType<typeof anOrderPlacedV1> {
  const event = anOrderPlacedV1({ orderId });
  (event.data as { customerId: string }).customerId = 'c'.repeat(bytes);
  return event;
}

// Which errors mean "never" is read from each client's errors (kafka/kafka-refusal.ts): both
// relays pass on both clients. The cases are few and fast, so every pair runs.
const RELAYS_ON_CLIENTS = (['wal', 'table'] as const).flatMap((store) => KAFKA_CLIENTS.map((client): [Store, KafkaClientName] => [store, client]));

describe.each(RELAYS_ON_CLIENTS)('the %s outbox relay on %s against real Kafka and PostgreSQL: an event Kafka can never accept', (store, client) => {
  const env = integrationEnv();
  const schema = uniqueName(`it_quarantine_${store}_${client}`);
  const slotName = uniqueName(`it_quarantine_${store}_${client}_slot`);
  const topic = uniqueName(`it-quarantine-${store}-${client}`) as TopicName;
  const contract = { ...OrderPlacedV1, topic };
  const topics = [{ topic, numPartitions: 1, replicationFactor: 1 }];
  const kafka = new Kafka({ clientId: `quarantine-it-${store}`, brokers: env.kafkaBrokers, ...env.kafkaClient, logLevel: logLevel.NOTHING });
  const received: KafkaMessage[] = [];
  /** Produce requests the relays sent (sendBatch calls). */
  let requests = 0;
  const counting = aroundSends(testDriver(env, client, `quarantine-it-${store}`), (send) => {
    requests++;
    return send();
  });
  let dataSource: Awaited<ReturnType<typeof openTestDataSource>>;
  let consumer: Consumer;
  let relay: { publishPending(): Promise<number>; start(): void; stop(): Promise<void> };

  const eventIds = () => received.map((message) => JSON.parse(message.value!.toString()).eventId as string);
  const write = (...events: Array<ReturnType<typeof anOrderPlacedV1>>) =>
    dataSource.transaction((manager) =>
      (store === 'wal' ? appendEventsToWalOutbox : appendEventsToOutboxTable)(
        manager,
        events.map((each) => outboxEntry(contract, each)),
      ),
    );
  const quarantined = async () =>
    (await dataSource.query(`SELECT event_id, event_type, topic, message_key, headers, value, reason, size_bytes, limit_bytes, quarantined_at FROM relay_quarantine ORDER BY sequence`)) as Array<{
      event_id: string;
      event_type: string;
      topic: string;
      message_key: string;
      headers: Record<string, string>;
      value: Buffer;
      reason: string;
      size_bytes: number;
      limit_bytes: number;
      quarantined_at: Date;
    }>;
  const quarantinedMetric = async () => (await messagingMetrics.outboxQuarantined.get()).values.find((value) => value.labels.topic === topic)?.value ?? 0;

  beforeAll(async () => {
    dataSource = await openTestDataSource(env.databaseUrl, schema, outboxPersistence);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: String(TOPIC_LIMIT) }] }] });
    await admin.disconnect();
    relay =
      store === 'wal'
        ? new WalOutboxRelay(counting, { databaseUrl: env.databaseUrl, schema, slotName, topics, producerId: `it:${schema}`, pollIntervalMs: 100 })
        : new OutboxRelay(dataSource, counting, { schema, databaseUrl: env.databaseUrl, topics, pollIntervalMs: 100 });
    // The WAL relay's first call creates its slot, which sees only what commits after it.
    expect(await relay.publishPending()).toBe(0);
    consumer = kafka.consumer({ groupId: uniqueName(`quarantine-it-${store}-reader`) });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void received.push(message) });
  });

  afterAll(async () => {
    await relay?.stop();
    await consumer?.disconnect();
    if (store === 'wal') {
      const reader = new WalOutboxReader({ databaseUrl: env.databaseUrl, schema, slotName });
      await reader.dropSlot().finally(() => reader.close());
    }
    await dataSource?.drop();
  });

  it('publishes the events before and after it in order, quarantines it (row, metric), and keeps publishing', async () => {
    const orderId = anOrderPlacedV1().data.orderId;
    const [first, second, third, fourth] = Array.from({ length: 4 }, () => anOrderPlacedV1({ orderId }));
    const big = padded(3 * TOPIC_LIMIT, orderId);
    const metricBefore = await quarantinedMetric();
    await write(first, second);
    await write(big);
    await write(third, fourth);

    expect(await relay.publishPending()).toBe(5);
    await waitFor(() => received.length >= 4, { description: 'the four events that fit' });
    expect(eventIds()).toEqual([first, second, third, fourth].map((each) => each.eventId));
    const sequences = received.map((message) => message.headers![RELAY_SEQUENCE_HEADER]!.toString());
    expect(sequences).toEqual([...sequences].sort());

    const [row, ...others] = await quarantined();
    expect(others).toEqual([]);
    expect(row).toMatchObject({ event_id: big.eventId, event_type: 'order.placed.v1', topic, message_key: orderId, reason: 'MESSAGE_TOO_LARGE', limit_bytes: TOPIC_LIMIT });
    expect(row.size_bytes).toBeGreaterThan(TOPIC_LIMIT);
    expect(JSON.parse(row.value.toString('utf8'))).toEqual(JSON.parse(JSON.stringify(big)));
    // Its sequence sits between those of its neighbours: it is where the relay moved past it.
    expect(row.headers[RELAY_SEQUENCE_HEADER] > sequences[1] && row.headers[RELAY_SEQUENCE_HEADER] < sequences[2]).toBe(true);
    expect(await quarantinedMetric()).toBe(metricBefore + 1);

    // Passed for good: nothing is left for the relay, and the next event goes out on its own.
    expect(await relay.publishPending()).toBe(0);
    if (store === 'table') expect(Number((await dataSource.query(`SELECT count(*) AS n FROM outbox WHERE published_at IS NULL`))[0].n)).toBe(0);
    relay.start();
    const fifth = anOrderPlacedV1({ orderId });
    await write(fifth);
    await waitFor(() => eventIds().includes(fifth.eventId), { description: 'the event after, published by the running relay' });
    expect(eventIds()).toEqual([first, second, third, fourth, fifth].map((each) => each.eventId));
    expect(await quarantined()).toHaveLength(1);
    await relay.stop();
  });

  it('sends a batch over the limit whose events each fit in several requests, every event published in order', async () => {
    const already = received.length;
    const requestsBefore = requests;
    const orderId = anOrderPlacedV1().data.orderId;
    // About 700 bytes each: 8 of them are more than twice the limit.
    const events = Array.from({ length: 8 }, () => padded(400, orderId));
    await write(...events);
    expect(await relay.publishPending()).toBe(8);
    expect(requests - requestsBefore).toBeGreaterThanOrEqual(3);
    await waitFor(() => received.length >= already + 8, { description: 'the eight events' });
    expect(eventIds().slice(already)).toEqual(events.map((each) => each.eventId));
    expect(await quarantined()).toHaveLength(1);
  });
});
