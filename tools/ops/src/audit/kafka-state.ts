import { Kafka } from 'kafkajs';
import { describeGroup, GroupInfo } from '../groups';
import { PartitionOffsets, topicOffsets, withAdmin } from '../kafka';
import { ServiceId, SERVICES, topicOf, topicsReadBy } from './model';
import { ResolvedAuditOptions } from './types';

export interface GroupState {
  service: ServiceId;
  info: GroupInfo;
  /** The topics the group reads (by contract) that exist. */
  topics: string[];
  /** Committed offset (the next one the group reads) by `topic:partition`; -1 when none. */
  committed: Map<string, bigint>;
}

/**
 * The broker when the audit starts, before the database snapshot: the end offsets of the three
 * topics (what each group must have consumed by the end of the audit) and each group's committed
 * offsets. A group commits an offset only once the work of the messages before it is durable, so
 * an event below a committed offset taken now is below the position the snapshot holds (or parked).
 */
export interface KafkaState {
  /** Partitions of the three topics that exist, by topic. */
  topics: Map<string, PartitionOffsets[]>;
  groups: Record<ServiceId, GroupState>;
}

export const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

async function committedOffsets(kafka: Kafka, group: string, topics: string[]): Promise<Map<string, bigint>> {
  const committed = new Map<string, bigint>();
  if (topics.length === 0) return committed;
  await withAdmin(kafka, async (admin) => {
    for (const entry of await admin.fetchOffsets({ groupId: group, topics })) {
      for (const partition of entry.partitions) committed.set(partitionKey(entry.topic, partition.partition), BigInt(partition.offset));
    }
  });
  return committed;
}

export async function readKafkaState(kafka: Kafka, options: ResolvedAuditOptions): Promise<KafkaState> {
  const wanted = SERVICES.map((service) => topicOf(service, options.topic));
  const { topics, infos } = await withAdmin(kafka, async (admin) => {
    const allTopics = await admin.listTopics();
    const present = new Map<string, PartitionOffsets[]>();
    for (const topic of wanted) if (allTopics.includes(topic)) present.set(topic, await topicOffsets(admin, topic));
    const described = {} as Record<ServiceId, GroupInfo>;
    for (const service of SERVICES) described[service] = await describeGroup(admin, options[service].group, allTopics);
    return { topics: present, infos: described };
  });
  const groups = {} as Record<ServiceId, GroupState>;
  for (const service of SERVICES) {
    const read = topicsReadBy(service, options.topic).filter((topic) => topics.has(topic));
    groups[service] = { service, info: infos[service], topics: read, committed: await committedOffsets(kafka, options[service].group, read) };
  }
  return { topics, groups };
}

/** The group had consumed (committed past) `offset` of `topic`/`partition` when the audit started. */
export function consumedAtStart(state: KafkaState, service: ServiceId, topic: string, partition: number, offset: bigint): boolean {
  return (state.groups[service].committed.get(partitionKey(topic, partition)) ?? -1n) > offset;
}

export interface PartitionBehind {
  group: string;
  topic: string;
  partition: number;
  committed: string;
  endAtStart: string;
  lag: bigint;
}

/** Partitions where a group has not yet consumed up to where the topic ended when the audit started. */
export async function partitionsBehind(kafka: Kafka, state: KafkaState): Promise<{ behind: PartitionBehind[]; partitions: number }> {
  const behind: PartitionBehind[] = [];
  let partitions = 0;
  for (const service of SERVICES) {
    const group = state.groups[service];
    if (group.topics.length === 0) continue;
    const committed = await committedOffsets(kafka, group.info.group, group.topics);
    for (const topic of group.topics) {
      for (const entry of state.topics.get(topic) ?? []) {
        partitions++;
        const raw = committed.get(partitionKey(topic, entry.partition)) ?? -1n;
        // A group that never committed on a partition starts at its earliest offset.
        const position = raw < 0n ? entry.low : raw;
        if (position < entry.high) {
          behind.push({ group: group.info.group, topic, partition: entry.partition, committed: raw.toString(), endAtStart: entry.high.toString(), lag: entry.high - position });
        }
      }
    }
  }
  return { behind, partitions };
}

/** A group's lag when the audit started, over the topics it reads (from its earliest offset if it never committed). */
export function groupLagAtStart(state: KafkaState, service: ServiceId): bigint {
  const group = state.groups[service];
  let total = 0n;
  for (const topic of group.topics) {
    for (const entry of state.topics.get(topic) ?? []) {
      const raw = group.committed.get(partitionKey(topic, entry.partition)) ?? -1n;
      const position = raw < 0n ? entry.low : raw;
      if (position < entry.high) total += entry.high - position;
    }
  }
  return total;
}

/** Total lag of every group when the audit started (0: each had consumed everything on its topics). */
export function lagAtStart(state: KafkaState): bigint {
  return SERVICES.reduce((sum, service) => sum + groupLagAtStart(state, service), 0n);
}
