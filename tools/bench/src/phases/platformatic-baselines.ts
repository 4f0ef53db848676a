import { randomUUID } from 'node:crypto';
import type { PlatformaticConnection } from '@relay/messaging';
import { OrderEventFactory } from '../events';
import { round } from '../stats';
import type { KafkajsConsumerResult, KafkajsProducerResult, ProducerShape } from './baselines';
import { ConsumeTally } from './consume-tally';
import { sendInFlight } from './send-in-flight';

/**
 * The raw baselines of @platformatic/kafka, the same work as the raw kafkajs ones beside them in
 * baselines.ts: same topics, shapes, messages and tally, so the two clients compare on this Node.
 */

/**
 * The library is ESM only: it is loaded when a baseline runs, so that Jest (which runs this repo's
 * specs as CommonJS) can still load this file and the modules that import it.
 */
const loadPlatformatic = () => import('@platformatic/kafka');

export async function platformaticProducer(connection: PlatformaticConnection, topic: string, records: number, shape: ProducerShape): Promise<KafkajsProducerResult> {
  const { compatibilityPartitioner, Producer, stringSerializers } = await loadPlatformatic();
  const factory = new OrderEventFactory();
  const producer = new Producer({
    ...connection,
    clientId: `relay-bench-platformatic-${randomUUID()}`,
    serializers: stringSerializers,
    autocreateTopics: false,
    // Java's murmur2 (kafkajs's DefaultPartitioner): the library's default partitioner puts keys elsewhere.
    partitioner: compatibilityPartitioner,
    // Idempotent forces one request in flight per connection, as kafkajs's maxInFlightRequests: 1; otherwise
    // the connection must not hold back the shape's concurrent sends (the library's default is 5).
    idempotent: shape.idempotent,
    ...(shape.idempotent ? {} : { maxInflights: shape.inFlight }),
  });
  try {
    // Out of the clock, as kafkajs's connect(): the connections, the topic's metadata and the producer id.
    await producer.metadata({ topics: [topic] });
    if (shape.idempotent) await producer.initIdempotentProducer({});
    const seconds = await sendInFlight(records, shape, (from, size) => {
      const messages = Array.from({ length: size }, (_, k) => {
        const message = factory.message(from + k);
        return { topic, key: message.key as string, value: message.value as string, headers: message.headers as Record<string, string> };
      });
      return producer.send({ acks: -1, messages });
    });
    return { label: shape.label, records, recordsPerSecond: round(records / seconds, 1), batchSize: shape.batchSize, inFlight: shape.inFlight };
  } finally {
    await producer.close();
  }
}

/**
 * A new group reading `topic` from its earliest offset, with kafkajs's fetch sizes (1 MiB per
 * partition, 10 MiB per response), committing after each fetch as kafkajs does after each batch.
 * Messages arrive one by one from a stream (the library has no batch callback): each is parsed
 * where it arrives, as kafkajs's eachBatch parses each message of its batch.
 */
export async function platformaticConsumer(connection: PlatformaticConnection, topic: string, messages: number): Promise<KafkajsConsumerResult> {
  const { Consumer } = await loadPlatformatic();
  const consumer = new Consumer({
    ...connection,
    clientId: `relay-bench-platformatic-${randomUUID()}`,
    groupId: `relay-bench-platformatic-${randomUUID()}`,
    maxBytesPerPartition: 1_048_576,
    maxBytes: 10_485_760,
  });
  let tally: ConsumeTally;
  try {
    // Out of the join time, as kafkajs's connect(): the connections and the topic's metadata.
    await consumer.metadata({ topics: [topic] });
    tally = new ConsumeTally(messages, '@platformatic/kafka consumer');
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: true });
    stream.on('error', (error) => tally.failed(error));
    stream.on('data', (message) => {
      if (tally.take([message]).length === 0) return;
      JSON.parse(message.value.toString());
      tally.done(1);
    });
    try {
      await tally.wait();
    } finally {
      await stream.close().catch(() => undefined);
    }
  } finally {
    await consumer.close(true).catch(() => undefined);
  }
  return { messages, messagesPerSecond: tally.messagesPerSecond, joinSeconds: tally.joinSeconds };
}
