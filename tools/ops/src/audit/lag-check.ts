import { Kafka } from 'kafkajs';
import { consumerGroupLag } from '@relay/messaging';
import { deadLetterTopicFor } from '@relay/contracts';
import { describeGroup, GroupInfo } from '../groups';
import { count, plural } from '../io';
import { topicOffsets, withAdmin } from '../kafka';
import { checkResult, CheckResult, ConsumerTarget, FindingBuilder, ResolvedAuditOptions } from './types';

interface GroupBaseline {
  info: GroupInfo;
  topics: string[];
  /** End offsets when the audit started, by `topic:partition`. */
  ends: Map<string, bigint>;
}

/** End offsets of what each group consumes, taken when the audit starts. */
export type LagBaseline = GroupBaseline[];

export async function lagBaseline(kafka: Kafka, targets: ConsumerTarget[], options: ResolvedAuditOptions): Promise<LagBaseline> {
  return withAdmin(kafka, async (admin) => {
    const allTopics = await admin.listTopics();
    const baseline: LagBaseline = [];
    for (const target of targets) {
      const info = await describeGroup(admin, target.group, allTopics);
      // A group that never ran has no topics yet: it is measured on the order events topic.
      const topics = (info.topics.length > 0 ? info.topics : [options.topic]).filter((topic) => allTopics.includes(topic));
      const ends = new Map<string, bigint>();
      for (const topic of topics) for (const entry of await topicOffsets(admin, topic)) ends.set(`${topic}:${entry.partition}`, entry.high);
      baseline.push({ info, topics, ends });
    }
    return baseline;
  });
}

/**
 * (4) Each group has consumed everything that was on its topics when the audit started (lag 0),
 * waiting until `deadline` for it to catch up.
 */
export async function lagCheck(kafka: Kafka, baseline: LagBaseline, options: ResolvedAuditOptions, deadline: number): Promise<CheckResult> {
  const max = options.maxExamples;
  let behind: { group: string; topic: string; partition: number; committed: string; endAtStart: string; lag: bigint }[] = [];
  let partitions = 0;
  for (;;) {
    behind = [];
    partitions = 0;
    for (const group of baseline) {
      if (group.topics.length === 0) continue;
      for (const entry of await consumerGroupLag(kafka, group.info.group, group.topics)) {
        partitions++;
        const position = BigInt(entry.endOffset) - BigInt(entry.lag);
        const endAtStart = group.ends.get(`${entry.topic}:${entry.partition}`) ?? BigInt(entry.endOffset);
        if (position < endAtStart) {
          behind.push({ group: group.info.group, topic: entry.topic, partition: entry.partition, committed: entry.committedOffset, endAtStart: endAtStart.toString(), lag: endAtStart - position });
        }
      }
    }
    if (behind.length === 0 || Date.now() >= deadline) break;
    options.onProgress(`waiting for ${plural(behind.length, 'partition')} to catch up…`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, Math.max(0, deadline - Date.now()))));
  }

  const lag = new FindingBuilder('lag', `partitions a group has not consumed up to where they ended when the audit started (waited up to ${options.graceSeconds} s)`, max);
  for (const entry of behind) lag.add({ group: entry.group, topic: entry.topic, partition: entry.partition, committed: entry.committed, endAtStart: entry.endAtStart, lag: Number(entry.lag) }, 1);
  const idle = new FindingBuilder('no-members', 'groups with no running instance right now', max);
  const parked = new FindingBuilder('parked', 'messages parked on dead-letter topics (see dlq list)', max);
  await withAdmin(kafka, async (admin) => {
    const allTopics = new Set(await admin.listTopics());
    for (const group of baseline) {
      if (group.info.members === 0) idle.add({ group: group.info.group, state: group.info.state });
      for (const topic of group.topics) {
        const dlqTopic = deadLetterTopicFor(topic, group.info.group);
        if (!allTopics.has(dlqTopic)) continue;
        const records = (await topicOffsets(admin, dlqTopic)).reduce((sum, entry) => sum + Number(entry.high - entry.low), 0);
        if (records > 0) parked.add({ group: group.info.group, dlqTopic, records }, records);
      }
    }
  });
  const totalLag = behind.reduce((sum, entry) => sum + entry.lag, 0n);
  const counts = { groups: baseline.length, partitions, partitionsBehind: behind.length, lag: Number(totalLag), parked: parked.count };
  const summary = `${plural(baseline.length, 'group')}, ${plural(partitions, 'partition')}: ${behind.length} behind (lag ${count(totalLag)}); ${plural(parked.count, 'parked message')}`;
  return checkResult('lag', '4. lag: every group has consumed its topics', summary, counts, [lag], [idle, parked]);
}
