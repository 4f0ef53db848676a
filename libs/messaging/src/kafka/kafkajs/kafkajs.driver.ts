import { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { GroupConsumer, GroupConsumerListener, GroupConsumerOptions, KafkaDriver, PartitionBatch, PartitionOffset, RecordProducer, TopicSpec } from '../driver/kafka-driver';
import { createKafka, idempotentProducerConfig, KafkaSettings } from '../kafka-settings';
import { ensureTopics } from '../topic-provisioner';

/** The kafkajs adapter of the Kafka driver port: one kafkajs client per driver. */
export class KafkajsDriver implements KafkaDriver {
  readonly client = 'kafkajs';
  private readonly kafka: Kafka;

  constructor(settings: KafkaSettings) {
    this.kafka = createKafka(settings);
  }

  groupConsumer(options: GroupConsumerOptions): GroupConsumer {
    return new KafkajsGroupConsumer(this.kafka, options);
  }

  async connectProducer(): Promise<RecordProducer> {
    const producer = this.kafka.producer(idempotentProducerConfig());
    await producer.connect();
    return {
      send: async (topic, records) => {
        await producer.send({ topic, acks: -1, messages: [...records] });
      },
      disconnect: () => producer.disconnect(),
    };
  }

  ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    return ensureTopics(this.kafka, topics);
  }
}

class KafkajsGroupConsumer implements GroupConsumer {
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: GroupConsumerOptions,
  ) {}

  async start(topics: readonly string[], listener: GroupConsumerListener): Promise<void> {
    const { groupId, sessionTimeoutMs, heartbeatIntervalMs, rebalanceTimeoutMs, maxBytes, maxBytesPerPartition, partitionsConsumedConcurrently } = this.options;
    const consumer = this.kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: heartbeatIntervalMs,
      rebalanceTimeout: rebalanceTimeoutMs,
      maxBytes,
      maxBytesPerPartition,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => listener.assigned(payload.memberAssignment));
    // kafkajs restarts itself after retriable errors only; any other crash is the owner's to handle.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) listener.failed(payload.error);
    });
    for (const event of [consumer.events.STOP, consumer.events.CRASH, consumer.events.DISCONNECT]) {
      consumer.on(event, () => listener.left());
    }
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently,
      eachBatch: (payload) => listener.batch(partitionBatchOf(consumer, payload)),
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

function partitionBatchOf(consumer: Consumer, payload: EachBatchPayload): PartitionBatch {
  const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
  const { topic, partition } = batch;
  return {
    topic,
    partition,
    records: batch.messages,
    isActive: () => isRunning() && !isStale(),
    heartbeat,
    markDone: resolveOffset,
    seek: (offset) => consumer.seek({ topic, partition, offset }),
    // The batch's own commit, not consumer.commitOffsets: that one retries and returns quietly
    // when the consumer stops, where the caller must learn that nothing was committed.
    commit: (offsets: readonly PartitionOffset[]) => commitOffsetsIfNecessary({ topics: byTopic(offsets) }),
  };
}

function byTopic(offsets: readonly PartitionOffset[]): Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> {
  const topics = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const { topic, partition, offset } of offsets) {
    const partitions = topics.get(topic) ?? [];
    partitions.push({ partition, offset });
    topics.set(topic, partitions);
  }
  return [...topics].map(([topic, partitions]) => ({ topic, partitions }));
}
