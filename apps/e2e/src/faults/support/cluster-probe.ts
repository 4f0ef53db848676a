import { Admin, ConfigResourceTypes } from 'kafkajs';
import { describeQuorum, kafkaClientEnv, KafkaClusterNode, QuorumStatus, RunningKafkaCluster } from '@relay/local-stack';
import { e2eKafka } from '../../support/kafka';

export interface PartitionState {
  topic: string;
  partition: number;
  /** Node id of the leader; -1 without one. */
  leader: number;
  replicas: number[];
  isr: number[];
}

/**
 * The suite's view of a cluster it runs: partition leaders and in-sync replicas, topic settings and
 * the controller quorum, asked only of the nodes that are up and not frozen (a frozen node accepts
 * connections and answers nothing). Every call uses a fresh admin client with short timeouts, so
 * a node dying meanwhile costs one failed call (callers poll with waitFor), never a long hang.
 */
export class ClusterProbe {
  constructor(private readonly cluster: RunningKafkaCluster) {}

  /** Nodes running and not frozen. */
  liveNodes(): KafkaClusterNode[] {
    return this.cluster.nodes.filter((node) => node.isRunning() && !node.isPaused());
  }

  private async withAdmin<T>(use: (admin: Admin) => Promise<T>): Promise<T> {
    const brokers = this.liveNodes().map((node) => node.broker);
    if (brokers.length === 0) throw new Error('no Kafka node is up');
    const security = this.cluster.security;
    const kafka = e2eKafka(
      brokers.join(','),
      'e2e-cluster-probe',
      { connectionTimeout: 1_000, requestTimeout: 5_000, retry: { retries: 1, initialRetryTime: 100 } },
      security ? kafkaClientEnv(security, 'admin') : { KAFKA_SECURITY_PROTOCOL: 'plaintext' },
    );
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await use(admin);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Leader, replicas and ISR of every partition of `topics`, as the live nodes' metadata says. */
  async partitions(topics: readonly string[]): Promise<PartitionState[]> {
    return this.withAdmin(async (admin) => {
      const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
      return metadata.topics.flatMap((topic) =>
        topic.partitions
          .map((partition) => ({ topic: topic.name, partition: partition.partitionId, leader: partition.leader, replicas: [...partition.replicas].sort((a, b) => a - b), isr: [...partition.isr].sort((a, b) => a - b) }))
          .sort((a, b) => a.partition - b.partition),
      );
    });
  }

  /** Sum of the end offsets (high watermarks) of a topic's partitions: what consumers can read. */
  async endOffsetSum(topic: string): Promise<number> {
    return this.withAdmin(async (admin) => (await admin.fetchTopicOffsets(topic)).reduce((sum, partition) => sum + Number(partition.high), 0));
  }

  /** The topic-level settings named, per topic. */
  async topicConfigs(topics: readonly string[], names: readonly string[]): Promise<Record<string, Record<string, string>>> {
    return this.withAdmin(async (admin) => {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: [...names] })),
      });
      return Object.fromEntries(resources.map((resource) => [resource.resourceName, Object.fromEntries(resource.configEntries.map((entry) => [entry.configName, entry.configValue]))]));
    });
  }

  /** The controller quorum as the live nodes report it (Kafka's own MetadataQuorumCommand). */
  quorum(): Promise<QuorumStatus> {
    return describeQuorum(this.liveNodes().map((node) => node.broker), 30_000, this.cluster.security);
  }
}

/** Partitions (of those given) that `nodeId` still leads or still counts as in sync. */
export function stillHeldBy(partitions: readonly PartitionState[], nodeId: number): PartitionState[] {
  return partitions.filter((partition) => partition.leader === nodeId || partition.isr.includes(nodeId) || partition.leader < 0);
}

/** Partitions (of those given) without a leader or with fewer in-sync replicas than replicas. */
export function underReplicated(partitions: readonly PartitionState[]): PartitionState[] {
  return partitions.filter((partition) => partition.leader < 0 || partition.isr.length < partition.replicas.length);
}

export function describePartitions(partitions: readonly PartitionState[]): string {
  return partitions.map((p) => `${p.topic}[${p.partition}] leader ${p.leader} isr [${p.isr.join(',')}]`).join('; ');
}
