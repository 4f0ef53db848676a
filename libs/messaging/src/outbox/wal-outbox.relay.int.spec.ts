import { Consumer, Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { anOrderPlacedV1, OrderPlacedV1, TopicName } from '@relay/contracts';
import { KAFKA_CLIENTS } from '@relay/service-runtime';
import { integrationEnv, openTestDataSource, uniqueName, waitFor } from '@relay/testing';
import { KafkaDriver } from '../kafka/driver/kafka-driver';
import { aroundSends, itOnOneClient, testDriver } from '../kafka/driver/test-drivers';
import { outboxEntry } from './outbox-writer';
import { appendEventsToWalOutbox } from './wal-outbox.writer';
import { WalOutboxReader } from './wal-outbox.reader';
import { RELAY_PRODUCER_HEADER, RELAY_SEQUENCE_HEADER, RELAY_XID_HEADER } from '../event-headers';
import { WalOutboxRelay, WalOutboxRelayOptions } from './wal-outbox.relay';

jest.setTimeout(120_000);

// The relay publishes through the driver port: each client's producer passes the cases that depend
// on it. The case that depends on PostgreSQL alone (reading past another schema's burst) is defined
// for the first client only: the suite's time budget is tight.
describe.each(KAFKA_CLIENTS)('WalOutboxRelay on %s against real Kafka and PostgreSQL', (client) => {
  const env = integrationEnv();
  const schema = uniqueName(`it_wal_relay_${client}`);
  const slotName = uniqueName(`it_wal_relay_slot_${client}`);
  // A topic of this test's own, so nothing else reads or writes it.
  const topic = uniqueName(`it-wal-relay-topic-${client}`) as TopicName;
  const contract = { ...OrderPlacedV1, topic };
  const kafka = new Kafka({ clientId: 'wal-relay-it', brokers: env.kafkaBrokers, ...env.kafkaClient, logLevel: logLevel.NOTHING });
  const driver = testDriver(env, client, 'wal-relay-it');
  const itOnce = itOnOneClient(client);
  const options: WalOutboxRelayOptions = { databaseUrl: env.databaseUrl, schema, slotName, topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], producerId: `it:${schema}` };
  const received: KafkaMessage[] = [];
  const relays: WalOutboxRelay[] = [];
  let dataSource: Awaited<ReturnType<typeof openTestDataSource>>;
  let consumer: Consumer;

  const event = (message: KafkaMessage) => ({
    eventId: JSON.parse(message.value!.toString()).eventId as string,
    producer: message.headers?.[RELAY_PRODUCER_HEADER]?.toString(),
    sequence: message.headers?.[RELAY_SEQUENCE_HEADER]?.toString() ?? '',
    xid: message.headers?.[RELAY_XID_HEADER]?.toString(),
  });
  const write = (manager: Parameters<typeof appendEventsToWalOutbox>[0], ...events: Array<ReturnType<typeof anOrderPlacedV1>>) =>
    appendEventsToWalOutbox(manager, events.map((each) => outboxEntry(contract, each)));
  /** A relay alone on the slot: the ones before it stop (each holds the slot while it runs). */
  const newRelay = async (relayDriver: KafkaDriver = driver) => {
    for (const running of relays) await running.stop();
    const relay = new WalOutboxRelay(relayDriver, options);
    relays.push(relay);
    return relay;
  };

  beforeAll(async () => {
    dataSource = await openTestDataSource(env.databaseUrl, schema, { entities: [], migrations: [] });
    consumer = kafka.consumer({ groupId: uniqueName('wal-relay-it-reader') });
    await consumer.connect();
  });

  afterAll(async () => {
    for (const relay of relays) await relay.stop();
    await consumer?.disconnect();
    // A slot left behind would keep the shared test server's WAL forever.
    const reader = new WalOutboxReader({ databaseUrl: env.databaseUrl, schema, slotName });
    await reader.dropSlot().finally(() => reader.close());
    await dataSource?.drop();
  });

  it('publishes in commit order, each event with its producer and a sequence that follows commits, then has nothing left', async () => {
    const relay = await newRelay();
    // The slot sees only what commits after it exists: the first call creates it.
    expect(await relay.publishPending()).toBe(0);
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void received.push(message) });

    // T1 begins and writes first, T2 writes and commits, then T1 commits: commit order is T2, T1.
    const [first, second, third] = [anOrderPlacedV1(), anOrderPlacedV1(), anOrderPlacedV1()];
    const t1 = dataSource.createQueryRunner();
    await t1.connect();
    await t1.startTransaction();
    await write(t1.manager, first);
    await dataSource.transaction((manager) => write(manager, second, third));
    await t1.commitTransaction();
    await t1.release();

    expect(await relay.publishPending()).toBe(3);
    await waitFor(() => received.length >= 3, { description: 'three published events' });
    const published = received.map(event);
    expect(published.map((each) => each.eventId)).toEqual([second.eventId, third.eventId, first.eventId]);
    expect(published.every((each) => each.producer === `it:${schema}`)).toBe(true);
    // The writing transactions' ids: T2's two events share one, T1's is another (it began first).
    expect(published.map((each) => each.xid)).toEqual([expect.stringMatching(/^\d+$/), published[0].xid, expect.stringMatching(/^\d+$/)]);
    expect(Number(published[2].xid)).toBeLessThan(Number(published[0].xid));
    expect(published.map((each) => each.sequence)).toEqual([...published.map((each) => each.sequence)].sort());
    expect(new Set(published.map((each) => each.sequence)).size).toBe(3);
    expect(await relay.publishPending()).toBe(0);
  });

  it('after Kafka acknowledged a batch that could not be confirmed, publishes it again with the same sequences, then not again', async () => {
    const already = received.length;
    // The relay's replication connection is ended right after Kafka acknowledged the batch (the
    // walsender gone, waited for): its confirm fails, as after a crash between the two.
    const cutting = aroundSends(driver, async (send) => {
      await send();
      await dataSource.query(`SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE application_name = $1`, [`${schema}-wal-outbox-relay`]);
    });
    const events = [anOrderPlacedV1(), anOrderPlacedV1()];
    await dataSource.transaction((manager) => write(manager, ...events));
    await expect((await newRelay(cutting)).publishPending()).rejects.toThrow();
    await waitFor(() => received.length >= already + 2, { description: 'the first copies' });

    const relay = await newRelay();
    expect(await relay.publishPending()).toBe(2);
    await waitFor(() => received.length >= already + 4, { description: 'the second copies' });
    const copies = received.slice(already).map(event);
    expect(copies.map((each) => each.eventId)).toEqual([...events, ...events].map((each) => each.eventId));
    expect(copies.slice(2).map((each) => each.sequence)).toEqual(copies.slice(0, 2).map((each) => each.sequence));
    expect(await relay.publishPending()).toBe(0);
  });

  it('publishes on its own once started: a commit wakes it', async () => {
    const relay = await newRelay();
    relay.start();
    const next = anOrderPlacedV1();
    await dataSource.transaction((manager) => write(manager, next));
    await waitFor(() => received.some((message) => event(message).eventId === next.eventId), { description: 'the event published by the running relay' });
  });

  itOnce("reaches its events behind a burst of another schema's that fills whole reads, without waiting for a poll", async () => {
    for (const running of relays) await running.stop();
    // Reads of at most 6 rows (3 per event), polls an hour apart: only the loop's own pace can
    // carry it through 20 transactions of another schema's messages to the event behind them.
    const relay = new WalOutboxRelay(driver, { ...options, batchSize: 2, pollIntervalMs: 3_600_000 });
    relays.push(relay);
    await relay.publishPending();
    relay.start();
    for (let each = 0; each < 20; each++) {
      await dataSource.query(`SELECT pg_logical_emit_message(true, 'relay.outbox.' || $1, 'another schema''s event')`, [`${schema}_other`]);
    }
    const next = anOrderPlacedV1();
    await dataSource.transaction((manager) => write(manager, next));
    await waitFor(() => received.some((message) => event(message).eventId === next.eventId), { description: 'the event behind the burst', timeoutMs: 15_000 });
  });
});
