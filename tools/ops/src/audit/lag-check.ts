import { Kafka } from 'kafkajs';
import { deadLetterTopicFor } from '@relay/contracts';
import { count, plural } from '../io';
import { topicOffsets, withAdmin } from '../kafka';
import { groupLagAtStart, KafkaState, partitionKey, PartitionBehind } from './kafka-state';
import { SERVICES } from './model';
import { checkResult, CheckResult, FindingBuilder, ResolvedAuditOptions } from './types';

/**
 * (8) Each of the three groups has consumed every partition of the topics it reads up to where
 * they ended when the audit started (the audit waited up to the grace period for it); parked
 * dead letters are counted.
 */
export async function lagCheck(kafka: Kafka, state: KafkaState, result: { behind: PartitionBehind[]; partitions: number }, options: ResolvedAuditOptions): Promise<CheckResult> {
  const max = options.maxExamples;
  const lag = new FindingBuilder('lag', `partitions a group has not consumed up to where they ended when the audit started (waited up to ${options.graceSeconds} s)`, max);
  for (const entry of result.behind) {
    lag.add({ group: entry.group, topic: entry.topic, partition: entry.partition, committed: entry.committed, endAtStart: entry.endAtStart, lag: Number(entry.lag) }, 1);
  }
  const idle = new FindingBuilder('no-members', 'groups with no running instance right now', max);
  const never = new FindingBuilder('never-committed', 'groups that have committed nothing on a topic they read (never ran, or a wrong --*-group)', max);
  const parked = new FindingBuilder('parked', 'messages parked on dead-letter topics (see dlq list)', max);
  const lagAtStart = new Map<string, bigint>();
  await withAdmin(kafka, async (admin) => {
    const allTopics = new Set(await admin.listTopics());
    for (const service of SERVICES) {
      const group = state.groups[service];
      if (group.info.members === 0) idle.add({ group: group.info.group, state: group.info.state });
      for (const topic of group.topics) {
        const partitions = state.topics.get(topic) ?? [];
        const committed = partitions.map((entry) => group.committed.get(partitionKey(topic, entry.partition)) ?? -1n);
        if (partitions.some((entry) => entry.high > 0n) && committed.every((offset) => offset < 0n)) never.add({ group: group.info.group, topic });
        const dlqTopic = deadLetterTopicFor(topic, group.info.group);
        if (!allTopics.has(dlqTopic)) continue;
        const records = (await topicOffsets(admin, dlqTopic)).reduce((sum, entry) => sum + Number(entry.high - entry.low), 0);
        if (records > 0) parked.add({ group: group.info.group, dlqTopic, records }, records);
      }
      lagAtStart.set(group.info.group, groupLagAtStart(state, service));
    }
  });
  const totalLag = result.behind.reduce((sum, entry) => sum + entry.lag, 0n);
  const startTotal = [...lagAtStart.values()].reduce((sum, value) => sum + value, 0n);
  const counts = {
    groups: SERVICES.length,
    partitions: result.partitions,
    partitionsBehind: result.behind.length,
    lag: Number(totalLag),
    lagAtStart: Number(startTotal),
    parked: parked.count,
  };
  const summary =
    `${plural(SERVICES.length, 'group')}, ${plural(result.partitions, 'partition')}: lag at start ${[...lagAtStart].map(([group, value]) => `${group}=${count(value)}`).join(', ')}; ` +
    `${result.behind.length} behind now (lag ${count(totalLag)}); ${plural(parked.count, 'parked message')}`;
  return checkResult('lag', '8. lag: every group has consumed what was on its topics when the audit started', summary, counts, [lag], [idle, never, parked]);
}
