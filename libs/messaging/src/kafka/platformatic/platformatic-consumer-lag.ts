import { Admin, ListOffsetTimestamps } from '@platformatic/kafka';
import type { ListOffsetTimestampValue } from '@platformatic/kafka';
import { partitionLag, PartitionLag } from '../consumer-lag';

/** Lag of a consumer group per partition, read with a @platformatic/kafka admin client (the adapter's KafkaDriver.groupLag). */
export async function platformaticGroupLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
  if (topics.length === 0) return [];
  const metadata = await admin.metadata({ topics: [...topics] });
  const partitionsOf = (topic: string) => Array.from({ length: metadata.topics.get(topic)!.partitionsCount }, (_, partition) => partition);
  const offsetsAt = (timestamp: ListOffsetTimestampValue) =>
    admin.listOffsets({ topics: topics.map((name) => ({ name, partitions: partitionsOf(name).map((partitionIndex) => ({ partitionIndex, timestamp })) })) });
  const [starts, ends, [group]] = await Promise.all([
    offsetsAt(ListOffsetTimestamps.EARLIEST),
    offsetsAt(ListOffsetTimestamps.LATEST),
    admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: topics.map((name) => ({ name, partitionIndexes: partitionsOf(name) })) }] }),
  ]);
  const offsetOf = (listed: typeof starts, topic: string, partition: number): bigint => {
    const offset = listed.find((each) => each.name === topic)?.partitions.find((each) => each.partitionIndex === partition)?.offset;
    if (offset === undefined) throw new Error(`the broker listed no offset for ${topic}[${partition}]`);
    return offset;
  };
  return topics.flatMap((topic) =>
    partitionsOf(topic).map((partition) =>
      partitionLag({
        topic,
        partition,
        committedOffset: String(group?.topics.find((each) => each.name === topic)?.partitions.find((each) => each.partitionIndex === partition)?.committedOffset ?? -1n),
        logStart: String(offsetOf(starts, topic, partition)),
        logEnd: String(offsetOf(ends, topic, partition)),
      }),
    ),
  );
}
