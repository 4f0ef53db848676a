import { Admin, Kafka } from 'kafkajs';
import { partitionLag, PartitionLag } from '../consumer-lag';

/**
 * Lag of a consumer group per partition, read with a connected kafkajs admin client: the one lag
 * reader of the kafkajs adapter (KafkaDriver.groupLag), the operator tools, the bench and the e2e
 * suite (through @relay/ops), so that every figure of lag is the same figure.
 */
export async function readGroupLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
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
}

/** readGroupLag with an admin client of its own, connected for this one read. */
export async function consumerGroupLag(kafka: Kafka, groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await readGroupLag(admin, groupId, topics);
  } finally {
    await admin.disconnect();
  }
}
