import { Logger } from '@nestjs/common';
import { Admin, ConfigResourceTypes, ConfigSource, Kafka } from 'kafkajs';
import { TopicSpec } from '../driver/kafka-driver';
import { creationConfigOf, kindConfigOf } from '../topic-settings';

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
 * The kafkajs adapter's topic provisioning (KafkaDriver.ensureTopics; the platformatic adapter uses it
 * too, through a kafkajs admin client of its own, until it has its own). Creates the topics a service needs, explicitly, at start-up (brokers run with topic
 * auto-creation off, so a typo cannot silently create a topic), and returns once every partition
 * has a leader. Several services may race to create the same topic: losing that race is success.
 * Existing topics are kept as they are; one with fewer partitions than asked for is reported, not
 * changed, because adding partitions moves keys and breaks per-key ordering; so is one with fewer
 * replicas (reassigning replicas is an operator's job). A new topic with 2 replicas or more gets
 * `min.insync.replicas` (minInsyncReplicasFor), so acks=all means what docs/operations.md says.
 */
export async function ensureTopics(kafka: Kafka, specs: readonly TopicSpec[]): Promise<void> {
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
            if (await admin.createTopics({ waitForLeaders: true, topics: missing.map((spec) => ({ ...spec, configEntries: creationConfigOf(spec) })) })) {
              logger.log(`created topics ${missing.map((spec) => `${spec.topic} (${spec.numPartitions} partitions, ${spec.replicationFactor} replicas)`).join(', ')}`);
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
          const replicas = Math.min(...topic.partitions.map((partition) => partition.replicas.length));
          const wantedReplicas = specs.find((spec) => spec.topic === topic.name)?.replicationFactor ?? 0;
          if (replicas < wantedReplicas) {
            logger.warn(`topic ${topic.name} has ${replicas} replica(s) per partition, fewer than the ${wantedReplicas} configured (KAFKA_REPLICATION_FACTOR); left unchanged`);
          }
        }
        await applyKindConfig(admin, specs.map((spec) => spec.topic).filter((topic) => kindConfigOf(topic).length > 0), logger);
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

/**
 * Brings existing topics to the settings of their kind (a dead-letter topic created before they
 * existed, or by hand): only those settings, and only where they differ.
 */
async function applyKindConfig(admin: Admin, topics: string[], logger: Logger): Promise<void> {
  if (topics.length === 0) return;
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    // Every setting, not just ours: alterConfigs below must restate the topic's other overrides.
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
  });
  for (const resource of described.resources) {
    const wanted = kindConfigOf(resource.resourceName);
    const differs = wanted.filter((entry) => resource.configEntries.find((current) => current.configName === entry.name)?.configValue !== entry.value);
    if (differs.length === 0) continue;
    // alterConfigs replaces the topic's own settings as a whole: keep the others it has.
    const kept = resource.configEntries
      .filter((current) => current.configSource === ConfigSource.TOPIC_CONFIG && !wanted.some((entry) => entry.name === current.configName))
      .map((current) => ({ name: current.configName, value: current.configValue }));
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: resource.resourceName, configEntries: [...kept, ...wanted] }] });
    logger.log(`set ${differs.map((entry) => `${entry.name}=${entry.value}`).join(', ')} on existing topic ${resource.resourceName}`);
  }
}
