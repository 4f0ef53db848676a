import { Logger } from '@nestjs/common';
import { ConfigResourceTypes, Kafka, Producer, TopicMessages } from 'kafkajs';
import { startWorkSpan, tracingEnabled, WorkSpan } from '@relay/service-runtime';
import { idempotentProducerConfig } from '../kafka/kafka-settings';
import { ensureTopics, TopicSpec } from '../kafka/topic-provisioner';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES, publishInOrder, PublishOutcome, RelayEvent } from './relay-batching';

/**
 * A relay's Kafka producer: idempotent, one request in flight (so a retried request can neither
 * be duplicated nor overtaken), acknowledged by all in-sync replicas, and created with its topics
 * on first use. It knows each topic's `max.message.bytes` (read when it connects) and cuts what it
 * publishes into requests below it.
 */
export class RelayProducer {
  private readonly logger = new Logger(RelayProducer.name);
  private producer: Producer | undefined;
  private ready = false;
  /** Each topic's max.message.bytes, as the broker reported it at the last connect. */
  private readonly maxMessageBytes = new Map<string, number>();

  constructor(
    private readonly kafka: Kafka,
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
    return publishInOrder(events, (topicMessages) => this.send(topicMessages), (topic) => this.maxBatchBytes(topic));
  }

  /** The largest record batch a partition of `topic` accepts: its max.message.bytes, else Kafka's default. */
  maxBatchBytes(topic: string): number {
    return this.maxMessageBytes.get(topic) ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** Sends one request; resolves once every in-sync replica has it. */
  async send(topicMessages: TopicMessages[]): Promise<void> {
    const producer = await this.connected();
    const span = startPublishSpan(topicMessages);
    await producer.sendBatch({ acks: -1, topicMessages }).then(() => span.end(), (error: unknown) => {
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

  private async connected(): Promise<Producer> {
    this.producer ??= this.kafka.producer(idempotentProducerConfig());
    if (!this.ready) {
      await this.producer.connect();
      await ensureTopics(this.kafka, this.topics);
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
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: this.topics.map((spec) => ({ type: ConfigResourceTypes.TOPIC, name: spec.topic, configNames: ['max.message.bytes'] })),
      });
      for (const resource of resources) {
        const value = Number(resource.configEntries.find((entry) => entry.configName === 'max.message.bytes')?.configValue);
        if (Number.isSafeInteger(value) && value > 0) this.maxMessageBytes.set(resource.resourceName, value);
      }
    } catch (error) {
      this.logger.warn(`cannot read max.message.bytes of ${this.topics.map((spec) => spec.topic).join(', ')}; assuming ${KAFKA_DEFAULT_MAX_MESSAGE_BYTES}: ${(error as Error).message}`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

/**
 * The producer span of one request, linked to the work that raised each of its events (the
 * consumers' spans are children of that work, through each event's traceparent header).
 */
function startPublishSpan(topicMessages: TopicMessages[]): WorkSpan {
  if (!tracingEnabled()) return startWorkSpan({ name: 'publish', kind: 'producer' });
  const topics = topicMessages.map((each) => each.topic);
  return startWorkSpan({
    name: `publish ${topics.join(' ')}`,
    kind: 'producer',
    attributes: {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.destination.name': topics.join(','),
      'messaging.batch.message_count': topicMessages.reduce((sum, each) => sum + each.messages.length, 0),
    },
    links: topicMessages.flatMap((each) => each.messages.map((message) => message.headers?.traceparent?.toString())),
  });
}
