import { Consumer, Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { anOrderPlacedV1, OrderPlacedV1, TopicName } from '@relay/contracts';
import { KAFKA_CLIENTS } from '@relay/service-runtime';
import { integrationEnv, openTestDataSource, uniqueName, waitFor } from '@relay/testing';
import { itOnOneClient, testDriver } from '../kafka/driver/test-drivers';
import { RELAY_PRODUCER_HEADER, RELAY_SEQUENCE_HEADER } from '../event-headers';
import { outboxPersistence } from '../migrations';
import { appendEventsToOutbox } from './append-events';
import { appendEventsToOutboxTable, outboxEntry } from './outbox-writer';
import { OutboxPublisher } from './outbox-publisher';

jest.setTimeout(120_000);

/**
 * The service's outbox as chosen at start-up, on the test PostgreSQL (wal_level=logical) and real
 * Kafka. The choice is PostgreSQL's: the first case, which publishes through the WAL relay, runs on
 * each client; the others are defined for the first client only (the suite's time budget is tight).
 */
describe.each(KAFKA_CLIENTS)('OutboxPublisher on %s', (client) => {
  const env = integrationEnv();
  const kafka = new Kafka({ clientId: 'outbox-publisher-it', brokers: env.kafkaBrokers, ...env.kafkaClient, logLevel: logLevel.NOTHING });
  const driver = testDriver(env, client, 'outbox-publisher-it');
  const itOnce = itOnOneClient(client);
  const opened: Array<{ drop(): Promise<void> }> = [];
  const publishers: OutboxPublisher[] = [];
  const consumers: Consumer[] = [];

  afterAll(async () => {
    for (const publisher of publishers) await publisher.stop();
    for (const consumer of consumers) await consumer.disconnect();
    for (const dataSource of opened) await dataSource.drop();
  });

  async function setUp(name: string) {
    const schema = uniqueName(name);
    const topic = uniqueName(`${name}-topic`) as TopicName;
    const dataSource = await openTestDataSource(env.databaseUrl, schema, outboxPersistence);
    opened.push(dataSource);
    const received: KafkaMessage[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName(`${name}-reader`) });
    consumers.push(consumer);
    const contract = { ...OrderPlacedV1, topic };
    const options = { schema, databaseUrl: env.databaseUrl, topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], pollIntervalMs: 100 };
    const start = async (store: 'auto' | 'wal' | 'table') => {
      const publisher = await OutboxPublisher.create(dataSource, driver, { ...options, store });
      publishers.push(publisher);
      publisher.start();
      // The relay creates its topics before its first publish: read once they exist.
      const admin = kafka.admin();
      await admin.connect();
      try {
        await waitFor(async () => (await admin.listTopics()).includes(topic), { description: `topic ${topic} to be created by the relay`, timeoutMs: 30_000 });
      } finally {
        await admin.disconnect();
      }
      return publisher;
    };
    const readTopic = async () => {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void received.push(message) });
    };
    const write = (event: ReturnType<typeof anOrderPlacedV1>) => dataSource.transaction((manager) => appendEventsToOutbox(manager, [outboxEntry(contract, event)]));
    const writeToTable = (event: ReturnType<typeof anOrderPlacedV1>) => dataSource.transaction((manager) => appendEventsToOutboxTable(manager, [outboxEntry(contract, event)]));
    const tableRows = async () => Number((await dataSource.query('SELECT count(*) AS n FROM outbox'))[0].n);
    const eventIds = () => received.map((message) => JSON.parse(message.value!.toString()).eventId as string);
    return { schema, dataSource, received, start, readTopic, write, writeToTable, tableRows, eventIds };
  }

  it('takes the WAL where the server decodes it: no outbox row is written, events go out with their producer and sequence', async () => {
    const { schema, start, readTopic, write, tableRows, received } = await setUp(`it_pub_wal_${client}`);
    const publisher = await start('auto');
    expect(publisher.store).toBe('wal');
    await readTopic();
    const events = [anOrderPlacedV1(), anOrderPlacedV1()];
    for (const event of events) await write(event);
    await waitFor(() => received.length >= 2, { description: 'the two events on the topic' });
    expect(received.map((message) => JSON.parse(message.value!.toString()).eventId)).toEqual(events.map((event) => event.eventId));
    expect(received.map((message) => message.headers?.[RELAY_PRODUCER_HEADER]?.toString())).toEqual([expect.stringMatching(new RegExp(`^wal:${schema}@\\d+$`)), expect.anything()]);
    const [first, second] = received.map((message) => message.headers?.[RELAY_SEQUENCE_HEADER]?.toString() ?? '');
    expect(first < second).toBe(true);
    expect(await tableRows()).toBe(0);
    expect((await publisher.backlog()).store).toBe('wal');
  });

  itOnce('publishes what an earlier version left in the outbox table first, so an order keeps the order of its events', async () => {
    const { start, readTopic, write, writeToTable, eventIds, received } = await setUp('it_pub_upgrade');
    const orderId = anOrderPlacedV1().data.orderId;
    const [placed, laterPlaced] = [anOrderPlacedV1({ orderId }), anOrderPlacedV1({ orderId })];
    // Written by the table-outbox version, never published (it stopped first).
    await writeToTable(placed);
    const publisher = await start('auto');
    expect(publisher.store).toBe('wal');
    await write(laterPlaced);
    await readTopic();
    await waitFor(() => received.length >= 2, { description: 'both events on the topic' });
    expect(eventIds()).toEqual([placed.eventId, laterPlaced.eventId]);
    expect((await publisher.backlog()).rows).toBe(0);
  });

  itOnce('falls back to the outbox table, saying why, for a role that may not create a replication slot (and refuses with OUTBOX_STORE=wal)', async () => {
    // The usual application role of a managed server: it may create its schema, but it has no
    // REPLICATION attribute.
    const role = uniqueName('it_pub_plain_role');
    const schema = uniqueName('it_pub_plain');
    const admin = await openTestDataSource(env.databaseUrl, uniqueName('it_pub_admin'), { entities: [], migrations: [] });
    opened.push(admin);
    await admin.query(`CREATE ROLE ${role} LOGIN NOREPLICATION PASSWORD 'it-only'`);
    await admin.query(`GRANT CREATE ON DATABASE ${new URL(env.databaseUrl).pathname.slice(1)} TO ${role}`);
    const url = new URL(env.databaseUrl);
    url.username = role;
    url.password = 'it-only';
    const dataSource = await openTestDataSource(url.toString(), schema, outboxPersistence);
    try {
      const topics = [{ topic: uniqueName('it-pub-plain-topic') as TopicName, numPartitions: 1, replicationFactor: 1 }];
      const options = { schema, databaseUrl: url.toString(), topics };
      const publisher = await OutboxPublisher.create(dataSource, driver, { ...options, store: 'auto' });
      await publisher.stop();
      expect(publisher.store).toBe('table');
      await expect(OutboxPublisher.create(dataSource, driver, { ...options, store: 'wal' })).rejects.toThrow(/may not create a replication slot \(the REPLICATION attribute\)/);
      await dataSource.transaction((manager) => appendEventsToOutbox(manager, [outboxEntry({ ...OrderPlacedV1, topic: topics[0].topic }, anOrderPlacedV1())]));
      expect(Number((await dataSource.query('SELECT count(*) AS n FROM outbox'))[0].n)).toBe(1);
    } finally {
      await dataSource.drop();
      await admin.query(`DROP OWNED BY ${role}`);
      await admin.query(`DROP ROLE ${role}`);
    }
  });

  itOnce('keeps the outbox table when told to', async () => {
    const { start, readTopic, write, tableRows, received } = await setUp('it_pub_table');
    const publisher = await start('table');
    expect(publisher.store).toBe('table');
    await readTopic();
    await write(anOrderPlacedV1());
    await waitFor(() => received.length >= 1, { description: 'the event on the topic' });
    expect(await tableRows()).toBe(1);
  });
});
