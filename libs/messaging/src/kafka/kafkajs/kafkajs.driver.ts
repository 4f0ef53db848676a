import { ConfigResourceTypes, Consumer, EachBatchPayload, Kafka, TopicMessages } from 'kafkajs';
import { GroupConsumer, GroupConsumerListener, GroupConsumerOptions, KafkaDriver, PartitionBatch, PartitionLag, PartitionOffset, RecordProducer, TopicRecords, TopicSpec } from '../driver/kafka-driver';
import { KafkaSettings } from '../kafka-settings';
import { withCheckedBatches } from './checked-batches';
import { createKafka, idempotentProducerConfig } from './kafkajs-client';
import { consumerGroupLag } from './kafkajs-consumer-lag';
import { ensureTopics } from './kafkajs-topic-provisioner';

/** The kafkajs adapter of the Kafka driver port: one kafkajs client per driver. */
export class KafkajsDriver implements KafkaDriver {
  readonly client = 'kafkajs';
  private readonly kafka: Kafka;

  /** `kafka`: a client configured otherwise than createKafka's (tests: one that gives up at once). */
  constructor(settings: KafkaSettings, kafka = createKafka(settings)) {
    this.kafka = kafka;
  }

  groupConsumer(options: GroupConsumerOptions): GroupConsumer {
    return new KafkajsGroupConsumer(this.kafka, options);
  }

  /**
   * A producer whose sends fail when kafkajs calls a batch sent that no broker acknowledged in full
   * (withCheckedBatches says why: kafkajs 2.2.4 loses records when a leader moves mid-send). The
   * check tells the partitions of one send only while it is the only one in flight, so sends go
   * one at a time.
   */
  async connectProducer(): Promise<RecordProducer> {
    const producer = withCheckedBatches(this.kafka).producer(idempotentProducerConfig());
    await producer.connect().catch(async (error: unknown) => {
      // Nothing is handed back to disconnect later: let go of what the attempt opened.
      await producer.disconnect().catch(() => undefined);
      throw error;
    });
    const sendBatch = oneAtATime(async (topicMessages: TopicMessages[]) => {
      await producer.sendBatch({ acks: -1, topicMessages });
    });
    return {
      send: (topic, records) => sendBatch([{ topic, messages: [...records] }]),
      sendBatch: (batch: readonly TopicRecords[]) => sendBatch(batch.map(({ topic, records }) => ({ topic, messages: [...records] }))),
      disconnect: () => producer.disconnect(),
    };
  }

  ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    return ensureTopics(this.kafka, topics);
  }

  async maxMessageBytes(topics: readonly string[]): Promise<Map<string, number>> {
    const limits = new Map<string, number>();
    if (topics.length === 0) return limits;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] })),
      });
      for (const resource of resources) {
        const value = Number(resource.configEntries.find((entry) => entry.configName === 'max.message.bytes')?.configValue);
        if (Number.isSafeInteger(value) && value > 0) limits.set(resource.resourceName, value);
      }
      return limits;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  groupLag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
    return consumerGroupLag(this.kafka, groupId, topics);
  }
}

/** `send` run one call at a time, in the order called; a failed call does not stop the ones after it. */
function oneAtATime<T>(send: (input: T) => Promise<void>): (input: T) => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  return (input) => {
    const next = last.catch(() => undefined).then(() => send(input));
    last = next;
    return next;
  };
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
