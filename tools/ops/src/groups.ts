import { Admin, AssignerProtocol, Kafka } from 'kafkajs';
import { consumerGroupLag, PartitionLag } from '@relay/messaging';

export interface GroupInfo {
  group: string;
  /** Stable, Empty, PreparingRebalance, … or Dead (the broker knows no such group). */
  state: string;
  members: number;
  /** Topics the group subscribes to (from its members) or has committed offsets on. */
  topics: string[];
  /** Which member owns each partition now: `<topic>:<partition>` → owner (none while the group is empty or rebalancing). */
  owners: Record<string, PartitionOwner>;
}

/** A group member, as the broker knows it: the instance's Kafka client id and host, and its member id. */
export interface PartitionOwner {
  memberId: string;
  clientId: string;
  host: string;
}

const ownerKey = (topic: string, partition: number) => `${topic}:${partition}`;

const isCandidateTopic = (topic: string) => !topic.startsWith('__') && !topic.includes('.dlq.');

/**
 * What a group consumes: its members' subscriptions when it has members, plus every topic it has
 * committed offsets on (so an empty group, all its instances stopped, is still measured).
 */
export async function describeGroup(admin: Admin, group: string, allTopics?: string[]): Promise<GroupInfo> {
  const [description] = (await admin.describeGroups([group])).groups;
  const topics = new Set<string>();
  const owners: Record<string, PartitionOwner> = {};
  for (const member of description?.members ?? []) {
    try {
      const metadata = AssignerProtocol.MemberMetadata.decode(member.memberMetadata);
      for (const topic of metadata?.topics ?? []) topics.add(topic);
      // Empty while the group rebalances: the partition then has no owner yet.
      const assignment = member.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(member.memberAssignment) : null;
      for (const [topic, partitions] of Object.entries(assignment?.assignment ?? {})) {
        for (const partition of partitions) owners[ownerKey(topic, partition)] = { memberId: member.memberId, clientId: member.clientId, host: member.clientHost };
      }
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
  return { group, state: description?.state ?? 'Dead', members: description?.members.length ?? 0, topics: [...topics].sort(), owners };
}

export interface GroupLag extends GroupInfo {
  partitions: OwnedPartitionLag[];
  totalLag: string;
}

export interface OwnedPartitionLag extends PartitionLag {
  /** The member consuming the partition now; absent while no instance runs or the group rebalances. */
  owner?: PartitionOwner;
}

/** Committed offset, end offset and lag per partition of each topic the group consumes, and who owns it. */
export async function measureGroupLag(kafka: Kafka, info: GroupInfo, topics: string[]): Promise<GroupLag> {
  const measured = topics.length === 0 ? [] : await consumerGroupLag(kafka, info.group, topics);
  const partitions = measured.map((partition) => ({ ...partition, owner: info.owners[ownerKey(partition.topic, partition.partition)] }));
  const totalLag = partitions.reduce((sum, partition) => sum + BigInt(partition.lag), 0n).toString();
  return { ...info, topics, partitions, totalLag };
}
