import { Logger } from '@nestjs/common';
import { Kafka } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
}

/**
 * Creates the topics a service needs, explicitly, at start-up (brokers run with topic
 * auto-creation off, so a typo cannot silently create a topic). Existing topics are kept as
 * they are; one with fewer partitions than asked for is reported, not changed, because adding
 * partitions moves keys and breaks per-key ordering.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[]): Promise<void> {
  const logger = new Logger('TopicProvisioner');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((spec) => !existing.has(spec.topic));
    if (missing.length > 0) {
      await admin.createTopics({ waitForLeaders: true, topics: missing }).catch((error: Error & { type?: string }) => {
        // Another instance may have created it between our list and create.
        if (error.type !== 'TOPIC_ALREADY_EXISTS') throw error;
      });
      logger.log(`created topics ${missing.map((spec) => `${spec.topic} (${spec.numPartitions} partitions)`).join(', ')}`);
    }
    const present = specs.filter((spec) => existing.has(spec.topic));
    if (present.length > 0) {
      const metadata = await admin.fetchTopicMetadata({ topics: present.map((spec) => spec.topic) });
      for (const topic of metadata.topics) {
        const wanted = specs.find((spec) => spec.topic === topic.name)?.numPartitions ?? 0;
        if (topic.partitions.length < wanted) {
          logger.warn(`topic ${topic.name} has ${topic.partitions.length} partitions, fewer than the ${wanted} configured; left unchanged`);
        }
      }
    }
  } finally {
    await admin.disconnect();
  }
}
