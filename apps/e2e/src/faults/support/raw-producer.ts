import { Message, Partitioners, Producer } from 'kafkajs';
import { e2eKafka } from '../../support/kafka';

export interface ProducedAt {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Produces raw messages (poison included) and says where each one landed, so a test can check the
 * provenance headers of its dead letter against the real partition and offset.
 */
export class RawProducer {
  private constructor(private readonly producer: Producer) {}

  static async connect(brokers: string, clientId: string): Promise<RawProducer> {
    const kafka = e2eKafka(brokers, clientId, { retry: { initialRetryTime: 200, retries: 8 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    return new RawProducer(producer);
  }

  /** One message, acks from all in-sync replicas. */
  async produce(topic: string, message: Message): Promise<ProducedAt> {
    const [metadata] = await this.producer.send({ topic, acks: -1, messages: [message] });
    return { topic, partition: metadata.partition, offset: metadata.baseOffset ?? '-1' };
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}
