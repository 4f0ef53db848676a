import { Kafka, Partitioners, Producer, TopicMessages } from 'kafkajs';
import { ensureTopics, TopicSpec } from '../kafka/topic-provisioner';

/**
 * A relay's Kafka producer: idempotent, one request in flight (so a retried request can neither
 * be duplicated nor overtaken), acknowledged by all in-sync replicas, and created with its topics
 * on first use.
 */
export class RelayProducer {
  private producer: Producer | undefined;
  private ready = false;

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

  /** Sends one batch; resolves once every in-sync replica has it. */
  async send(topicMessages: TopicMessages[]): Promise<void> {
    const producer = await this.connected();
    await producer.sendBatch({ acks: -1, topicMessages }).catch((error: unknown) => {
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
    this.producer ??= this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    if (!this.ready) {
      await this.producer.connect();
      await ensureTopics(this.kafka, this.topics);
      this.ready = true;
    }
    return this.producer;
  }
}
