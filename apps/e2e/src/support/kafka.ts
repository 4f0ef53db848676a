import { Admin, Kafka, KafkaConfig, logLevel, Message, Partitioners, Producer } from 'kafkajs';
import { readGroupLag } from '@relay/ops';
import { kafkaClientFromEnv } from '@relay/testing';

/**
 * A client of the suite's own (probes, raw producers, readers): it logs in as the KAFKA_* variables
 * of `env` say, `admin` under `npm test` and the global setup; the stacks' services as themselves.
 */
export function e2eKafka(brokers: string, clientId: string, options: Partial<KafkaConfig> = {}, env: NodeJS.ProcessEnv = process.env): Kafka {
  return new Kafka({ clientId, brokers: brokers.split(','), logLevel: logLevel.NOTHING, ...kafkaClientFromEnv(env), ...options });
}

export interface PartitionOffsets {
  partition: number;
  /** Earliest offset still in the log. */
  low: bigint;
  /** End offset (high watermark): the offset the next message will get. */
  high: bigint;
}

/**
 * The suite's own view of Kafka, through the same admin API an operator would use: committed offsets
 * of a group, end offsets of a topic, and raw produce (to replay or duplicate a message by hand).
 */
export class KafkaProbe {
  private constructor(
    private readonly admin: Admin,
    private readonly producer: Producer,
  ) {}

  static async connect(brokers: string, clientId: string): Promise<KafkaProbe> {
    const kafka = e2eKafka(brokers, clientId, { retry: { initialRetryTime: 200, retries: 8 } });
    const admin = kafka.admin();
    const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await admin.connect();
    try {
      await producer.connect();
    } catch (error) {
      await admin.disconnect();
      throw error;
    }
    return new KafkaProbe(admin, producer);
  }

  async endOffsets(topic: string): Promise<PartitionOffsets[]> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return offsets
      .map((entry) => ({ partition: entry.partition, low: BigInt(entry.low), high: BigInt(entry.high) }))
      .sort((a, b) => a.partition - b.partition);
  }

  /** The group's committed offset per partition (the next offset it will read); -1 where it committed nothing. */
  async committedOffsets(groupId: string, topic: string): Promise<Map<number, bigint>> {
    const [entry] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((entry?.partitions ?? []).map((partition) => [partition.partition, BigInt(partition.offset)]));
  }

  /**
   * How far the group has read, summed over the partitions of `topics`: a partition it never committed
   * on counts as read up to its earliest offset (where a new group starts). The difference of two sums
   * is the number of messages the group consumed in between.
   */
  async groupPosition(groupId: string, topics: readonly string[]): Promise<bigint> {
    // The services' lag reader: a partition's position is its end less the group's lag there.
    const partitions = await readGroupLag(this.admin, groupId, topics);
    return partitions.reduce((sum, partition) => sum + BigInt(partition.endOffset) - BigInt(partition.lag), 0n);
  }

  /** Sum of end offsets over the partitions of `topics`: the difference of two sums is what was produced. */
  async topicsEnd(topics: readonly string[]): Promise<bigint> {
    let sum = 0n;
    for (const topic of topics) sum += (await this.endOffsets(topic)).reduce((total, end) => total + end.high, 0n);
    return sum;
  }

  /** Produces raw messages as they are (acks from all in-sync replicas). */
  async produce(topic: string, messages: Message[]): Promise<void> {
    await this.producer.send({ topic, acks: -1, messages });
  }

  async disconnect(): Promise<void> {
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }
}
