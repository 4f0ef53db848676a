import { Admin, AssignerProtocol, Kafka } from 'kafkajs';
import { consumerGroupLag, PartitionLag } from '@relay/messaging';

export interface GroupInfo {
  group: string;
  /** Stable, Empty, PreparingRebalance, … or Dead (the broker knows no such group). */
  state: string;
  members: number;
  /** Topics the group subscribes to (from its members) or has committed offsets on. */
  topics: string[];
}

const isCandidateTopic = (topic: string) => !topic.startsWith('__') && !topic.includes('.dlq.');

/**
 * What a group consumes: its members' subscriptions when it has members, plus every topic it has
 * committed offsets on (so an empty group, all its instances stopped, is still measured).
 */
export async function describeGroup(admin: Admin, group: string, allTopics?: string[]): Promise<GroupInfo> {
  const [description] = (await admin.describeGroups([group])).groups;
  const topics = new Set<string>();
  for (const member of description?.members ?? []) {
    try {
      const metadata = AssignerProtocol.MemberMetadata.decode(member.memberMetadata);
      for (const topic of metadata?.topics ?? []) topics.add(topic);
    } catch {
      // Not a consumer-protocol member: its committed offsets still tell.
    }
  }
  const candidates = (allTopics ?? (await admin.listTopics())).filter(isCandidateTopic);
  if (candidates.length > 0) {
    const committed = await admin.fetchOffsets({ groupId: group, topics: candidates });
    for (const entry of committed) {
      if (entry.partitions.some((partition) => BigInt(partition.offset) >= 0n)) topics.add(entry.topic);
    }
  }
  return { group, state: description?.state ?? 'Dead', members: description?.members.length ?? 0, topics: [...topics].sort() };
}

export interface GroupLag extends GroupInfo {
  partitions: PartitionLag[];
  totalLag: string;
}

/** Committed offset, end offset and lag per partition of each topic the group consumes. */
export async function measureGroupLag(kafka: Kafka, info: GroupInfo, topics: string[]): Promise<GroupLag> {
  const partitions = topics.length === 0 ? [] : await consumerGroupLag(kafka, info.group, topics);
  const totalLag = partitions.reduce((sum, partition) => sum + BigInt(partition.lag), 0n).toString();
  return { ...info, topics, partitions, totalLag };
}
