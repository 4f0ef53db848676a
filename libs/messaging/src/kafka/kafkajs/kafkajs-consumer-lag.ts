import { Kafka } from 'kafkajs';
import { partitionLag, PartitionLag } from '../consumer-lag';

/**
 * Lag of a consumer group per partition, read with a kafkajs admin client: the kafkajs adapter's
 * KafkaDriver.groupLag, and the lag the operator tools (which hold a kafkajs client) read.
 */
export async function consumerGroupLag(kafka: Kafka, groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
    const result: PartitionLag[] = [];
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      const byPartition = new Map(committed.find((entry) => entry.topic === topic)?.partitions.map((p) => [p.partition, p.offset]) ?? []);
      for (const end of ends.sort((a, b) => a.partition - b.partition)) {
        result.push(partitionLag({ topic, partition: end.partition, committedOffset: byPartition.get(end.partition) ?? '-1', logStart: end.low, logEnd: end.high }));
      }
    }
    return result;
  } finally {
    await admin.disconnect();
  }
}
