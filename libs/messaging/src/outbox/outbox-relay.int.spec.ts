import { Consumer, Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { anOrderPlacedV1, OrderPlacedV1, TopicName } from '@relay/contracts';
import { KAFKA_CLIENTS, KafkaClientName } from '@relay/service-runtime';
import { integrationEnv, openTestDataSource, uniqueName, waitFor } from '@relay/testing';
import { outboxPersistence } from '../migrations';
import { RELAY_PRODUCER_HEADER, RELAY_SEQUENCE_HEADER } from '../event-headers';
import { KafkaDriver } from '../kafka/driver/kafka-driver';
import { aroundSends, itOnOneClient, testDriver } from '../kafka/driver/test-drivers';
import { KafkajsDriver } from '../kafka/kafkajs/kafkajs.driver';
import { admit, EMPTY_POSITION, PositionedMessage } from '../position/partition-position';
import { compareSequences, parseProducerSequence } from '../position/producer-sequence';
import { appendEventsToOutbox, appendToOutbox } from './append-events';
import { outboxEntry } from './outbox-writer';
import { OutboxRelay, OutboxRelayOptions } from './outbox-relay';

jest.setTimeout(120_000);

/**
 * A driver of `client` whose brokers cannot be reached, giving up at once (kafkajs's own retries of
 * a refused connection would take a minute; @platformatic/kafka's take about two seconds).
 */
function unreachableDriver(env: ReturnType<typeof integrationEnv>, client: KafkaClientName): KafkaDriver {
  const settings = { brokers: ['127.0.0.1:1'], clientId: 'outbox-it-down', security: env.kafkaSecurity, topicPartitions: 1, replicationFactor: 1, client };
  if (client === 'kafkajs') return new KafkajsDriver(settings, new Kafka({ clientId: settings.clientId, brokers: settings.brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } }));
  return testDriver({ ...env, kafkaBrokers: settings.brokers }, client, settings.clientId);
}

// The relays publish through the driver port: each client's producer passes the cases that depend
// on it (sends, acknowledgements, failures). Cases that depend on PostgreSQL alone (ordering, locks,
// connections) are defined for the first client only: the suite's time budget is tight.
describe.each(KAFKA_CLIENTS)('OutboxRelay on %s against real Kafka and PostgreSQL', (client) => {
  const env = integrationEnv();
  const schema = uniqueName(`it_outbox_${client}`);
  // The contract with a topic of this test's own, so nothing else reads or writes it.
  const topic = uniqueName(`it-outbox-topic-${client}`) as TopicName;
  const contract = { ...OrderPlacedV1, topic };
  const kafka = new Kafka({ clientId: 'outbox-it', brokers: env.kafkaBrokers, ...env.kafkaClient, logLevel: logLevel.NOTHING });
  const driver = testDriver(env, client, 'outbox-it');
  const itOnce = itOnOneClient(client);
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
    const unreachable = unreachableDriver(env, client);
    // One aggregate's events share a key, hence a partition, hence an order.
    const orderId = anOrderPlacedV1().data.orderId;
    const events = [anOrderPlacedV1({ orderId }), anOrderPlacedV1({ orderId }), anOrderPlacedV1({ orderId })];
    for (const event of events) {
      await dataSource.transaction((manager) => appendToOutbox(manager, contract, event));
    }
    const downRelay = new OutboxRelay(dataSource, unreachable, { schema, databaseUrl: env.databaseUrl, topics });
    await expect(downRelay.publishPending()).rejects.toThrow();
    expect(await unpublished()).toBe(3);

    relay = new OutboxRelay(dataSource, driver, { schema, databaseUrl: env.databaseUrl, topics });
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

  itOnce('never publishes the event of a rolled-back transaction', async () => {
    const rolledBack = anOrderPlacedV1();
    const committed = anOrderPlacedV1();
    await expect(
      dataSource.transaction(async (manager) => {
        await appendToOutbox(manager, contract, rolledBack);
        throw new Error('the order failed to save');
      }),
    ).rejects.toThrow('the order failed to save');
    await dataSource.transaction((manager) => appendToOutbox(manager, contract, committed));

    relay = new OutboxRelay(dataSource, driver, { schema, databaseUrl: env.databaseUrl, topics });
    relay.start();
    await waitFor(() => eventIds().includes(committed.eventId), { description: 'the committed event' });
    expect(eventIds()).not.toContain(rolledBack.eventId);
  });

  itOnce('wakes on NOTIFY at commit instead of waiting for its poll', async () => {
    relay = new OutboxRelay(dataSource, driver, { schema, databaseUrl: env.databaseUrl, topics, pollIntervalMs: 60_000 });
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

  itOnce('replaces its own database connection when PostgreSQL drops it, and publishes on', async () => {
    relay = new OutboxRelay(dataSource, driver, { schema, databaseUrl: env.databaseUrl, topics, pollIntervalMs: 100 });
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
    // The stamp follows Kafka's ack: the event can be read before its row is stamped.
    await waitFor(async () => (await unpublished()) === 0, { description: 'the event stamped as published' });
  });

  it('takes over from a relay frozen mid-batch once PostgreSQL ends its idle transaction', async () => {
    // The frozen relay's producer is the real one, held at the door of its send: it has claimed the
    // batch and holds the publisher lock, as a process stopped while Kafka acknowledges would.
    let entered = false;
    let thaw!: () => void;
    const thawed = new Promise<void>((resolve) => (thaw = resolve));
    const frozenDriver = aroundSends(driver, async (send) => {
      entered = true;
      await thawed;
      await send();
    });
    const event = anOrderPlacedV1();
    await dataSource.transaction((manager) => appendToOutbox(manager, contract, event));
    const frozen = new OutboxRelay(dataSource, frozenDriver, { schema, databaseUrl: env.databaseUrl, topics, idleInTransactionTimeoutMs: 1_000 });
    const frozenBatch = frozen.publishPending();
    frozenBatch.catch(() => undefined); // judged below; no unhandled rejection if the test fails first
    try {
      await waitFor(() => entered, { description: 'the frozen relay to claim the row and hold the lock' });

      relay = new OutboxRelay(dataSource, driver, { schema, databaseUrl: env.databaseUrl, topics, pollIntervalMs: 100 });
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

  itOnce('lets several relays share one outbox: every row published once, one order\'s events in order', async () => {
    // Small batches and four relays: the lock changes hands often, which is where a row could go out twice.
    const relays = [1, 2, 3, 4].map(() => new OutboxRelay(dataSource, driver, { schema, databaseUrl: env.databaseUrl, topics, batchSize: 2, pollIntervalMs: 50 }));
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

describe.each(KAFKA_CLIENTS)('OutboxRelay producer sequences on %s: commit-safe order, against real Kafka and PostgreSQL', (client) => {
  const env = integrationEnv();
  const schema = uniqueName(`it_outbox_seq_${client}`);
  const topic = uniqueName(`it-outbox-seq-topic-${client}`) as TopicName;
  const contract = { ...OrderPlacedV1, topic };
  const topics = [{ topic, numPartitions: 3, replicationFactor: 1 }];
  const kafka = new Kafka({ clientId: 'outbox-seq-it', brokers: env.kafkaBrokers, ...env.kafkaClient, logLevel: logLevel.NOTHING });
  const driver = testDriver(env, client, 'outbox-seq-it');
  const itOnce = itOnOneClient(client);
  const relays: OutboxRelay[] = [];
  /** Every message on the topic, in the order consumed (offset order within a partition). */
  const consumed: Array<{ eventId: string; partition: number; offset: bigint; headers: Record<string, string | undefined> }> = [];
  let dataSource: Awaited<ReturnType<typeof openTestDataSource>>;
  let consumer: Consumer;
  let producerId: string;

  const newRelay = (options: Partial<OutboxRelayOptions> = {}, relayDriver: KafkaDriver = driver) => {
    const relay = new OutboxRelay(dataSource, relayDriver, { schema, databaseUrl: env.databaseUrl, topics, ...options });
    relays.push(relay);
    return relay;
  };
  const unpublished = async () => Number((await dataSource.query('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL'))[0].n);
  /** The copies of `events` consumed so far, once there are `count` of them. */
  const copiesOf = (events: Array<{ eventId: string }>, count: number) =>
    waitFor(
      () => {
        const ids = new Set(events.map((event) => event.eventId));
        const copies = consumed.filter((message) => ids.has(message.eventId));
        return copies.length >= count && copies;
      },
      { description: `${count} copies of ${events.length} event(s) on the topic` },
    );
  /** What a consumer's position sees of a message: its offset, producer and sequence. */
  const positioned = (messages: typeof consumed): PositionedMessage[] =>
    messages.map((message) => ({
      offset: message.offset,
      producer: message.headers[RELAY_PRODUCER_HEADER],
      sequence: parseProducerSequence(message.headers[RELAY_SEQUENCE_HEADER]),
    }));

  beforeAll(async () => {
    dataSource = await openTestDataSource(env.databaseUrl, schema, outboxPersistence);
    const [server] = await dataSource.query(`SELECT current_database() AS database, system_identifier::text AS id FROM pg_control_system()`);
    producerId = `outbox:${server.database}.${schema}@${server.id}`;
    await driver.ensureTopics(topics);
    consumer = kafka.consumer({ groupId: uniqueName('outbox-seq-it-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) =>
        void consumed.push({
          eventId: JSON.parse(message.value!.toString()).eventId,
          partition,
          offset: BigInt(message.offset),
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, value?.toString()])),
        }),
    });
  });

  afterEach(async () => {
    for (const relay of relays.splice(0)) await relay.stop();
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await dataSource?.drop();
  });

  itOnce('orders by transaction id as a number, then by row id: 99 before 100, whatever their row ids', async () => {
    // Real transaction ids cross a power of ten now and then, which is where a text order breaks
    // (a stress run caught it at 99999 -> 100000); two rows set to such ids, long ended, make the case.
    const orderId = anOrderPlacedV1().data.orderId;
    const [later, earlier] = [anOrderPlacedV1({ orderId }), anOrderPlacedV1({ orderId })];
    for (const event of [later, earlier]) await dataSource.transaction((manager) => appendToOutbox(manager, contract, event));
    await dataSource.query(`UPDATE outbox SET tx_id = (CASE WHEN event_id = $1::uuid THEN '100' ELSE '99' END)::xid8 WHERE event_id IN ($1::uuid, $2::uuid)`, [
      later.eventId,
      earlier.eventId,
    ]);
    const relay = newRelay();
    let published = 0;
    await waitFor(async () => (published += await relay.publishPending()) >= 2, { description: 'both events published' });
    const copies = await copiesOf([later, earlier], 2);
    expect(copies.map((copy) => copy.eventId)).toEqual([earlier.eventId, later.eventId]);
    expect(copies.map((copy) => copy.headers[RELAY_SEQUENCE_HEADER]?.slice(0, 16))).toEqual(['0000000000000063', '0000000000000064']);
    expect(admit(EMPTY_POSITION, positioned(copies)).admissions).toEqual(['apply', 'apply']);
  });

  itOnce('holds back an event committed while an earlier transaction runs, then publishes both in an order the consumers\' sequence rule applies', async () => {
    const relay = newRelay();
    const orderId = anOrderPlacedV1().data.orderId;
    // One key, hence one partition: the order the rule depends on.
    const [first, second] = [anOrderPlacedV1({ orderId }), anOrderPlacedV1({ orderId })];
    const t1 = dataSource.createQueryRunner();
    await t1.connect();
    try {
      await t1.startTransaction();
      await appendToOutbox(t1.manager, contract, first);
      await dataSource.transaction((manager) => appendToOutbox(manager, contract, second));
      // The trap: T1 holds the lower id and the lower transaction id, and T2 has committed first.
      const rowOf = `SELECT id::text AS id, tx_id::text AS tx FROM outbox WHERE event_id = $1`;
      const [t1Row] = await t1.query(rowOf, [first.eventId]);
      const [t2Row] = await dataSource.query(rowOf, [second.eventId]);
      expect(BigInt(t1Row.id)).toBeLessThan(BigInt(t2Row.id));
      expect(BigInt(t1Row.tx)).toBeLessThan(BigInt(t2Row.tx));

      // Published now, T2's event would be overtaken by T1's, or skipped by a consumer that had
      // applied it: it waits for T1 to end.
      expect(await relay.publishPending()).toBe(0);
      expect(await unpublished()).toBe(1);
      await t1.commitTransaction();
    } finally {
      if (t1.isTransactionActive) await t1.rollbackTransaction();
      await t1.release();
    }

    // Another test file's transaction may still hold one of the two back for a moment.
    let published = 0;
    await waitFor(async () => (published += await relay.publishPending()) >= 2, { description: 'both events published' });
    expect(published).toBe(2);
    const copies = await copiesOf([first, second], 2);
    expect(copies.map((copy) => copy.eventId)).toEqual([first.eventId, second.eventId]);
    expect(new Set(copies.map((copy) => copy.partition)).size).toBe(1);
    expect(copies.map((copy) => copy.headers[RELAY_PRODUCER_HEADER])).toEqual([producerId, producerId]);
    const [a, b] = positioned(copies);
    expect(compareSequences(a.sequence!, b.sequence!)).toBeLessThan(0);
    expect(admit(EMPTY_POSITION, [a, b]).admissions).toEqual(['apply', 'apply']);
  });

  itOnce('publishes a held-back event soon after the transaction holding it ends, though that end sends no NOTIFY', async () => {
    const relay = newRelay({ pollIntervalMs: 60_000 });
    relay.start();
    await waitFor(async () => (await unpublished()) === 0, { description: 'an idle relay' });
    const holder = dataSource.createQueryRunner();
    await holder.connect();
    try {
      await holder.startTransaction();
      // A transaction id of its own, and nothing written to the outbox.
      await holder.query('SELECT pg_current_xact_id()');
      const event = anOrderPlacedV1();
      await dataSource.transaction((manager) => appendToOutbox(manager, contract, event));
      // The commit's NOTIFY woke the relay, which found the event held back: wait for a pass of its
      // after the commit, while the holder still runs.
      const [{ committed }] = await dataSource.query('SELECT clock_timestamp() AS committed');
      await waitFor(
        async () =>
          Number(
            (await dataSource.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND query_start > $2`, [`${schema}-outbox-relay`, committed]))[0].n,
          ) > 0,
        { description: 'a pass of the relay after the commit' },
      );
      expect(await unpublished()).toBe(1);
      await holder.commitTransaction();
      await copiesOf([event], 1);
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
    }
  });

  it('publishes a batch Kafka acknowledged but that was never stamped again, with the same producer and sequences, which the consumers\' rule skips', async () => {
    // The relay's session is ended right after Kafka acknowledged the batch: its stamp fails, as
    // after a crash between the two.
    const cutting = aroundSends(driver, async (send) => {
      await send();
      await dataSource.query(`SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE application_name = $1`, [`${schema}-outbox-relay`]);
    });
    const orderId = anOrderPlacedV1().data.orderId;
    const events = [anOrderPlacedV1({ orderId }), anOrderPlacedV1({ orderId }), anOrderPlacedV1({ orderId })];
    await dataSource.transaction((manager) => appendEventsToOutbox(manager, events.map((event) => outboxEntry(contract, event))));

    // Batches of two: the first ends inside the transaction, and still goes out the same again.
    await expect(newRelay({ batchSize: 2 }, cutting).publishPending()).rejects.toThrow();
    await copiesOf(events, 2);
    expect(await unpublished()).toBe(3);
    const relay = newRelay({ batchSize: 2 });
    let published = 0;
    await waitFor(async () => (published += await relay.publishPending()) >= 3, { description: 'the three events published' });
    expect(published).toBe(3);
    const copies = await copiesOf(events, 5);
    expect(copies.map((copy) => copy.eventId)).toEqual([events[0], events[1], events[0], events[1], events[2]].map((event) => event.eventId));
    expect(copies.slice(2, 4).map((copy) => copy.headers)).toEqual(copies.slice(0, 2).map((copy) => copy.headers));
    expect(admit(EMPTY_POSITION, positioned(copies)).admissions).toEqual(['apply', 'apply', 'republished', 'republished', 'apply']);
  });

  it('sets its producer and a sequence on every event it publishes, the sequences increasing in each partition', async () => {
    const relay = newRelay({ batchSize: 2 });
    const orderIds = Array.from({ length: 4 }, () => anOrderPlacedV1().data.orderId);
    const transactions = [3, 1, 2, 1, 3].map((size, t) => Array.from({ length: size }, (_, i) => anOrderPlacedV1({ orderId: orderIds[(t + i) % orderIds.length] })));
    for (const events of transactions) {
      await dataSource.transaction((manager) => appendEventsToOutbox(manager, events.map((event) => outboxEntry(contract, event))));
    }
    await waitFor(async () => (await relay.publishPending()) === 0 && (await unpublished()) === 0, { description: 'every row published' });
    await copiesOf(transactions.flat(), 10);

    // Every message on the topic, this test's and the earlier ones'.
    for (const message of consumed) {
      expect(message.headers).toMatchObject({ [RELAY_PRODUCER_HEADER]: producerId, 'x-event-type': OrderPlacedV1.pattern });
      expect(parseProducerSequence(message.headers[RELAY_SEQUENCE_HEADER])).toBeDefined();
    }
    // In each partition, the rule applies every event once: its first copy, the sequences of first
    // copies increasing; the later copies (the test before republished some) are skipped.
    for (const partition of new Set(consumed.map((message) => message.partition))) {
      const inPartition = consumed.filter((message) => message.partition === partition);
      const seen = new Set<string>();
      const expected = inPartition.map((message) => (seen.has(message.eventId) ? 'republished' : (seen.add(message.eventId), 'apply')));
      const { admissions } = admit(EMPTY_POSITION, positioned(inPartition));
      // Compared with each message's sequence beside it, so that a failure shows which one.
      const decided = (admission: (index: number) => string) =>
        inPartition.map((message, i) => ({ offset: message.offset, sequence: message.headers[RELAY_SEQUENCE_HEADER], admission: admission(i) }));
      expect(decided((i) => admissions[i])).toEqual(decided((i) => expected[i]));
    }
  });
});
