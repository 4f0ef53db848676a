import { KAFKA_CLIENTS, type KafkaClientName, type KafkaSecurity } from '@relay/service-runtime';
import { createKafkaDriver } from '../kafka-drivers';
import { KafkaDriver, TopicRecords } from './kafka-driver';

/** Drivers for integration tests: each client behind the port, and ways to step into a producer's sends. */

/** The driver of `client` to the test brokers, as a service would configure it. */
export function testDriver(env: { kafkaBrokers: string[]; kafkaSecurity: KafkaSecurity }, client: KafkaClientName, clientId: string): KafkaDriver {
  return createKafkaDriver({ brokers: env.kafkaBrokers, clientId, security: env.kafkaSecurity, topicPartitions: 1, replicationFactor: 1, client });
}

/**
 * `driver`, whose producers run each sendBatch through `around` (which must call `send` for the
 * records to go out): to hold a send at the door, count requests, or act once Kafka acknowledged one.
 */
export function aroundSends(driver: KafkaDriver, around: (send: () => Promise<void>, batch: readonly TopicRecords[]) => Promise<void>): KafkaDriver {
  const wrapped = Object.create(driver) as KafkaDriver;
  wrapped.connectProducer = async () => {
    const producer = await driver.connectProducer();
    return { ...producer, sendBatch: (batch) => around(() => producer.sendBatch(batch), batch) };
  };
  return wrapped;
}

/**
 * `it` for a case that does not depend on the Kafka client (PostgreSQL ordering, locks,
 * connections), inside a `describe.each` over the clients: defined on the default client only, so it
 * runs once rather than once per client.
 */
export function itOnOneClient(client: KafkaClientName): (name: string, test: () => Promise<void>) => void {
  return (name, test) => {
    if (client === KAFKA_CLIENTS[0]) it(name, test);
  };
}
