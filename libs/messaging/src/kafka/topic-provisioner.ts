import { Logger } from '@nestjs/common';
import { Kafka } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
}

const ATTEMPTS = 10;

function isAlreadyExists(error: unknown): boolean {
  const candidate = error as { type?: string; errors?: unknown[]; message?: string };
  return (
    candidate?.type === 'TOPIC_ALREADY_EXISTS' ||
    /already exists/i.test(candidate?.message ?? '') ||
    (Array.isArray(candidate?.errors) && candidate.errors.length > 0 && candidate.errors.every(isAlreadyExists))
  );
}

/**
 * Creates the topics a service needs, explicitly, at start-up (brokers run with topic
 * auto-creation off, so a typo cannot silently create a topic), and returns once every partition
 * has a leader. Several services may race to create the same topic: losing that race is success.
 * Existing topics are kept as they are; one with fewer partitions than asked for is reported, not
 * changed, because adding partitions moves keys and breaks per-key ordering.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[]): Promise<void> {
  const logger = new Logger('TopicProvisioner');
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const existing = new Set(await admin.listTopics());
        const missing = specs.filter((spec) => !existing.has(spec.topic));
        if (missing.length > 0) {
          try {
            // false: another service created them between our list and our create.
            if (await admin.createTopics({ waitForLeaders: true, topics: missing })) {
              logger.log(`created topics ${missing.map((spec) => `${spec.topic} (${spec.numPartitions} partitions)`).join(', ')}`);
            }
          } catch (error) {
            if (!isAlreadyExists(error)) throw error;
          }
        }
        const metadata = await admin.fetchTopicMetadata({ topics: specs.map((spec) => spec.topic) });
        const leaderless = metadata.topics.filter((topic) => topic.partitions.length === 0 || topic.partitions.some((partition) => partition.leader < 0));
        if (leaderless.length > 0) throw new Error(`topics without leaders yet: ${leaderless.map((topic) => topic.name).join(', ')}`);
        for (const topic of metadata.topics) {
          const wanted = specs.find((spec) => spec.topic === topic.name)?.numPartitions ?? 0;
          if (topic.partitions.length < wanted) {
            logger.warn(`topic ${topic.name} has ${topic.partitions.length} partitions, fewer than the ${wanted} configured; left unchanged`);
          }
        }
        return;
      } catch (error) {
        // Right after a creation (ours or another service's), metadata can lag for a moment.
        if (attempt >= ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  } finally {
    await admin.disconnect();
  }
}
