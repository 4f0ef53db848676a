import { Kafka } from 'kafkajs';

export interface PartitionLag {
  topic: string;
  partition: number;
  /** Next offset the group will read; -1 when the group has committed nothing on this partition. */
  committedOffset: string;
  endOffset: string;
  lag: string;
}

/** Lag of a consumer group per partition: end offset minus committed offset. */
export async function consumerGroupLag(kafka: Kafka, groupId: string, topics: string[]): Promise<PartitionLag[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const committed = await admin.fetchOffsets({ groupId, topics });
    const result: PartitionLag[] = [];
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      const byPartition = new Map(committed.find((entry) => entry.topic === topic)?.partitions.map((p) => [p.partition, p.offset]) ?? []);
      for (const end of ends.sort((a, b) => a.partition - b.partition)) {
        const committedOffset = byPartition.get(end.partition) ?? '-1';
        const start = BigInt(committedOffset) < 0n ? BigInt(end.low) : BigInt(committedOffset);
        result.push({ topic, partition: end.partition, committedOffset, endOffset: end.high, lag: (BigInt(end.high) - start).toString() });
      }
    }
    return result;
  } finally {
    await admin.disconnect();
  }
}
