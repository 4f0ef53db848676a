import { randomUUID } from 'node:crypto';
import { Kafka, KafkaConfig, LogEntry, logLevel } from 'kafkajs';
import { createEnvelope, deadLetterTopicFor, StockReservedV1, Topics } from '@relay/contracts';
import { kafkaClientEnv, kafkaSecurityDir, KafkaPrincipal, KafkaSecurityMaterial, readKafkaSecurity } from '@relay/local-stack';
import { listDeadLetters } from './faults/support/ops';
import { e2eKafka } from './support/kafka';
import { startStack, Stack } from './support/stack';
import { waitFor } from '@relay/testing';

/** The broker's error code name (kafkajs `type`), also when kafkajs wrapped it (originalError, cause). */
function refusal(error: unknown): string | undefined {
  for (let current = error as { type?: string; originalError?: unknown; cause?: unknown } | undefined; current; current = (current.originalError ?? current.cause) as typeof current) {
    if (current.type) return current.type;
  }
  return undefined;
}

/**
 * Issue 13, Kafka: the broker every test runs on is secured by default (SASL_SSL, SCRAM-SHA-512,
 * StandardAuthorizer, ACLs from kafka-acls.ts). Who cannot log in is refused; who can is held to
 * its own topics and groups; and what a principal allowed to write a topic puts there is still
 * checked by the consumers (the wrong-topic check of the contracts).
 */
describe('Kafka security (SASL_SSL with ACLs, on by default)', () => {
  let security: KafkaSecurityMaterial;
  let brokers: string;
  let stack: Stack;
  const clients: Array<{ disconnect(): Promise<void> }> = [];

  /** A client that gives up at once: a refusal must show as the first error, not after retries. */
  const client = (config: Partial<KafkaConfig>): Kafka =>
    new Kafka({ clientId: `e2e-security-${randomUUID().slice(0, 8)}`, brokers: brokers.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 5_000, retry: { retries: 0 }, ...config });
  const loggedInAs = (principal: KafkaPrincipal): Kafka => e2eKafka(brokers, `e2e-security-${principal}`, { retry: { retries: 0 } }, kafkaClientEnv(security, principal));
  const track = <T extends { disconnect(): Promise<void> }>(connection: T): T => {
    clients.push(connection);
    return connection;
  };

  beforeAll(async () => {
    const material = await readKafkaSecurity(kafkaSecurityDir());
    if (material === undefined) throw new Error(`no Kafka logins in ${kafkaSecurityDir()}: this suite needs the secured broker the global setup (or npm test) starts`);
    security = material;
    brokers = process.env.KAFKA_BROKERS!;
    stack = await startStack({ name: 'kafkasec' });
  }, 240_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((connection) => connection.disconnect()));
    await stack?.stop();
  });

  /** Connects and asks for the topics: a refused client fails at one or the other. */
  const listTopics = (kafka: Kafka): Promise<string[]> => {
    const admin = track(kafka.admin());
    return admin.connect().then(() => admin.listTopics());
  };

  it('refuses an anonymous client: no TLS, or TLS without a SASL login', async () => {
    await expect(listTopics(client({}))).rejects.toThrow();
    await expect(listTopics(client({ ssl: { ca: [security.caPem] } }))).rejects.toThrow();
    // The same request with a login is answered.
    await expect(listTopics(loggedInAs('inventory'))).resolves.toEqual(expect.arrayContaining([Topics.orderEvents]));
  });

  it('refuses a wrong password, and a broker certificate checked against another CA', async () => {
    const wrongPassword = client({ ssl: { ca: [security.caPem] }, sasl: { mechanism: 'scram-sha-512', username: 'inventory', password: 'not-the-password' } });
    await expect(track(wrongPassword.admin()).connect()).rejects.toMatchObject({ name: 'KafkaJSSASLAuthenticationError' });
    // The system CAs do not know the local CA: TLS verification fails before any password is sent.
    const untrusted = client({ ssl: true, sasl: { mechanism: 'scram-sha-512', ...security.users.inventory } });
    await expect(track(untrusted.admin()).connect()).rejects.toThrow(/certificate/i);
  });

  it('refuses the inventory principal a write to relay.orders.v1 (TOPIC_AUTHORIZATION_FAILED)', async () => {
    // (That it may write relay.inventory.v1 every other suite shows: its stack's inventory publishes there.)
    const producer = track(loggedInAs('inventory').producer({ allowAutoTopicCreation: false }));
    await producer.connect();
    const sent = producer.send({ topic: Topics.orderEvents, acks: -1, messages: [{ key: randomUUID(), value: 'forged' }] });
    expect(refusal(await sent.then(() => undefined, (error: unknown) => error))).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('refuses the inventory principal a seat in the delivery group (GROUP_AUTHORIZATION_FAILED)', async () => {
    // kafkajs reports a refused FindCoordinator as "Failed to find group coordinator" and keeps the
    // broker's reason in its debug log only: read it there.
    const errors: unknown[] = [];
    const logCreator = () => (entry: LogEntry) => {
      const { error } = entry.log as { error?: unknown };
      if (error !== undefined) errors.push(error);
    };
    const kafka = e2eKafka(brokers, 'e2e-security-inventory', { retry: { retries: 0 }, logLevel: logLevel.DEBUG, logCreator }, kafkaClientEnv(security, 'inventory'));
    const consumer = track(kafka.consumer({ groupId: stack.groups.delivery, retry: { retries: 0, restartOnFailure: async () => false } }));
    const crashed = new Promise<unknown>((resolve) => consumer.on(consumer.events.CRASH, (event) => resolve(event.payload.error)));
    await consumer.connect();
    // inventory may read relay.orders.v1: the group is what is refused.
    await consumer.subscribe({ topics: [Topics.orderEvents] });
    await consumer.run({ eachMessage: async () => undefined });
    await crashed;
    expect(errors.map(refusal)).toContain('GROUP_AUTHORIZATION_FAILED');
  });

  it('parks as poison, with the reason, a stock.reserved event that a principal allowed to write relay.orders.v1 put there', async () => {
    // ops may write the source topics (dead-letter replays): the broker accepts the record, and
    // the consumers must still refuse it. The topic is the proof of the producer, not the envelope.
    // (The record stays on the shared topic: later stacks' fresh groups park it too, like any poison.)
    const orderId = randomUUID();
    const forged = createEnvelope(StockReservedV1, { data: { orderId, lines: [{ sku: 'SKU-1', quantity: 1 }] }, producer: 'inventory', correlationId: randomUUID() });
    const producer = track(loggedInAs('ops').producer({ allowAutoTopicCreation: false }));
    await producer.connect();
    await producer.send({ topic: Topics.orderEvents, acks: -1, messages: [{ key: orderId, value: JSON.stringify(forged) }] });

    for (const group of [stack.groups.inventory, stack.groups.delivery]) {
      const parked = await waitFor(
        async () => {
          const dead = await listDeadLetters({ kafkaBrokers: brokers.split(','), group, sourceTopic: Topics.orderEvents });
          return dead.records.find((record) => record.key === orderId);
        },
        { timeoutMs: 60_000, intervalMs: 500, description: `the forged stock.reserved in ${deadLetterTopicFor(Topics.orderEvents, group)}` },
      );
      expect(parked.errorClass).toBe('PoisonMessage:wrong-topic');
      expect(parked.errorMessage).toBe('stock.reserved.v1 belongs on relay.inventory.v1, not on relay.orders.v1');
      expect(parked.eventId).toBe(forged.eventId);
    }
  });
});
