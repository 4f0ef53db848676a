import { parseCommandArgs } from '../args';
import { Command, KafkaConnection, kafkaFromEnv, printJson } from '../command';
import { kafkaNameFlag } from '../config';
import { count, table } from '../io';
import { createOpsKafka, requireTopic, topicOffsets, withAdmin } from '../kafka';
import { topicsListCommand } from './topics-list';

export interface PartitionDescription {
  partition: number;
  /** Broker id and address, or "none" while the partition has no leader. */
  leader: string;
  replicas: number[];
  inSyncReplicas: number[];
  offlineReplicas: number[];
  /** Earliest offset still in the log. */
  low: string;
  /** End offset: the offset the next message gets. */
  high: string;
  messages: string;
}

export interface TopicDescription {
  topic: string;
  partitions: PartitionDescription[];
}

export async function describeTopic(options: KafkaConnection & { topic: string }): Promise<TopicDescription> {
  return withAdmin(createOpsKafka(options.kafkaBrokers), async (admin) => {
    await requireTopic(admin, options.topic);
    const [metadata, offsets, cluster] = await Promise.all([
      admin.fetchTopicMetadata({ topics: [options.topic] }),
      topicOffsets(admin, options.topic),
      admin.describeCluster(),
    ]);
    const brokers = new Map(cluster.brokers.map((broker) => [broker.nodeId, `${broker.host}:${broker.port}`]));
    const byPartition = new Map(offsets.map((entry) => [entry.partition, entry]));
    const partitions = (metadata.topics[0]?.partitions ?? [])
      .map((partition) => {
        const entry = byPartition.get(partition.partitionId);
        const low = entry?.low ?? 0n;
        const high = entry?.high ?? 0n;
        return {
          partition: partition.partitionId,
          leader: partition.leader >= 0 ? `${partition.leader} (${brokers.get(partition.leader) ?? 'unknown broker'})` : 'none',
          replicas: partition.replicas,
          inSyncReplicas: partition.isr,
          offlineReplicas: partition.offlineReplicas ?? [],
          low: low.toString(),
          high: high.toString(),
          messages: (high - low).toString(),
        };
      })
      .sort((a, b) => a.partition - b.partition);
    return { topic: options.topic, partitions };
  });
}

export const topicsDescribeCommand: Command = {
  name: 'topics describe',
  summary: 'one topic per partition: leader, replicas, low/high watermarks',
  help: topicsListCommand.help,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('topics describe', args, { json: { type: 'boolean' } }, { min: 1, max: 1, names: 'the topic name' });
    if (values.help) {
      io.out(this.help);
      return 0;
    }
    const topic = kafkaNameFlag('topic', positionals[0]);
    const description = await describeTopic({ ...kafkaFromEnv(io), topic });
    if (values.json) {
      printJson(io, description);
      return 0;
    }
    io.out(`${description.topic}: ${description.partitions.length} partitions`);
    const rows = description.partitions.map((p) => [
      String(p.partition),
      p.leader,
      p.replicas.join(','),
      p.inSyncReplicas.join(','),
      p.low,
      p.high,
      count(BigInt(p.messages)),
    ]);
    for (const line of table(['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'LOW', 'HIGH', 'MESSAGES'], rows)) io.out(line);
    return 0;
  },
};
