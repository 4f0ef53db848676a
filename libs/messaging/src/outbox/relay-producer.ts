import { Logger } from '@nestjs/common';
import { startWorkSpan, tracingEnabled, WorkSpan } from '@relay/service-runtime';
import { KafkaDriver, RecordProducer, TopicRecords, TopicSpec } from '../kafka/driver/kafka-driver';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES, publishInOrder, PublishOutcome, RelayEvent } from './relay-batching';

/**
 * A relay's Kafka producer, from the service's Kafka driver (KAFKA_CLIENT): idempotent, acknowledged
 * by all in-sync replicas (RecordProducer's contract), and created with its topics on first use. It
 * knows each topic's `max.message.bytes` (read when it connects) and cuts what it publishes into
 * requests below it.
 */
export class RelayProducer {
  private readonly logger = new Logger(RelayProducer.name);
  private producer: RecordProducer | undefined;
  private ready = false;
  /** Each topic's max.message.bytes, as the broker reported it at the last connect. */
  private maxMessageBytes = new Map<string, number>();

  constructor(
    private readonly driver: KafkaDriver,
    private readonly topics: TopicSpec[],
  ) {}

  /**
   * Connects (and creates the topics) if not yet done. Call it before claiming a batch: a relay
   * that cannot reach Kafka then claims nothing and holds no lock while it retries.
   */
  async connect(): Promise<void> {
    await this.connected();
  }

  /**
   * Publishes `events` in order, in as many requests as the topics' `max.message.bytes` needs, one
   * after the other (relay-batching.ts: publishInOrder). Resolves once every in-sync replica has
   * them, with the events Kafka refused alone for good (to quarantine); rejects on anything else,
   * having maybe published some of them (which go out again with the batch, as copies).
   */
  async publish(events: readonly RelayEvent[]): Promise<PublishOutcome> {
    await this.connected();
    return publishInOrder(events, (request) => this.send(request), (topic) => this.maxBatchBytes(topic));
  }

  /** The largest record batch a partition of `topic` accepts: its max.message.bytes, else Kafka's default. */
  maxBatchBytes(topic: string): number {
    return this.maxMessageBytes.get(topic) ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** Sends one request; resolves once every in-sync replica has it. */
  async send(request: TopicRecords[]): Promise<void> {
    const producer = await this.connected();
    const span = startPublishSpan(request);
    await producer.sendBatch(request).then(() => span.end(), (error: unknown) => {
      span.end(error);
      // Dropped after a failed send; the next batch gets a new producer. An idempotent producer
      // whose request failed may no longer agree with the broker on its sequence numbers (a broker
      // restart mid-request leaves it one batch ahead): the broker then answers every later request
      // with OUT_OF_ORDER_SEQUENCE_NUMBER, and the same producer would retry that forever. A new one
      // gets a new producer id and starts at zero. A failed batch that had in fact been written goes
      // out again, and consumers drop the copies.
      void this.disconnect();
      throw error;
    });
  }

  async disconnect(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    this.ready = false;
    await producer?.disconnect().catch(() => undefined);
  }

  private async connected(): Promise<RecordProducer> {
    this.producer ??= await this.driver.connectProducer();
    if (!this.ready) {
      await this.driver.ensureTopics(this.topics);
      await this.readMaxMessageBytes();
      this.ready = true;
    }
    return this.producer;
  }

  /**
   * Reads the topics' max.message.bytes (the topic's own, or the broker's default for it), on every
   * connect, so a limit an operator changed is seen after the next failed send. Where the broker
   * will not say (no DescribeConfigs right), Kafka's default is assumed: a smaller limit then shows
   * as refused requests, which are halved until they fit.
   */
  private async readMaxMessageBytes(): Promise<void> {
    if (this.topics.length === 0) return;
    try {
      this.maxMessageBytes = await this.driver.maxMessageBytes(this.topics.map((spec) => spec.topic));
    } catch (error) {
      this.logger.warn(`cannot read max.message.bytes of ${this.topics.map((spec) => spec.topic).join(', ')}; assuming ${KAFKA_DEFAULT_MAX_MESSAGE_BYTES}: ${(error as Error).message}`);
    }
  }
}

/**
 * The producer span of one request, linked to the work that raised each of its events (the
 * consumers' spans are children of that work, through each event's traceparent header).
 */
function startPublishSpan(request: TopicRecords[]): WorkSpan {
  if (!tracingEnabled()) return startWorkSpan({ name: 'publish', kind: 'producer' });
  const topics = request.map((each) => each.topic);
  return startWorkSpan({
    name: `publish ${topics.join(' ')}`,
    kind: 'producer',
    attributes: {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.destination.name': topics.join(','),
      'messaging.batch.message_count': request.reduce((sum, each) => sum + each.records.length, 0),
    },
    links: request.flatMap((each) => each.records.map((record) => record.headers?.traceparent?.toString())),
  });
}
