import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes, type AclEntry } from 'kafkajs';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { Topics } from '../../../libs/contracts/src/topics';
// The client security settings have one home; loaded by path (the Jest global setups resolve no aliases).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { kafkaClientSecurity, type KafkaClientSecurity, readKafkaSecurity } from '../../../libs/service-runtime/src/config/kafka-security';
import { relayAclTable, type AclOperation, type AclRule } from './kafka-acls';
import type { KafkaSecurityMaterial } from './kafka-security';

const OPERATIONS: Record<AclOperation, AclOperationTypes> = {
  Read: AclOperationTypes.READ,
  Write: AclOperationTypes.WRITE,
  Create: AclOperationTypes.CREATE,
  Delete: AclOperationTypes.DELETE,
  Describe: AclOperationTypes.DESCRIBE,
  DescribeConfigs: AclOperationTypes.DESCRIBE_CONFIGS,
  AlterConfigs: AclOperationTypes.ALTER_CONFIGS,
};

const RESOURCES: Record<AclRule['resource'], AclResourceTypes> = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  cluster: AclResourceTypes.CLUSTER,
};

export function aclEntriesOf(rules: readonly AclRule[]): AclEntry[] {
  return rules.flatMap((rule) =>
    rule.operations.map((operation) => ({
      resourceType: RESOURCES[rule.resource],
      resourceName: rule.name,
      resourcePatternType: rule.pattern === 'literal' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
      principal: `User:${rule.principal}`,
      host: '*',
      operation: OPERATIONS[operation],
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );
}

/** A kafkajs client logged in as the local brokers' `admin` (super user). */
export function adminKafka(brokers: readonly string[], material: KafkaSecurityMaterial, clientId = 'relay-local-stack'): Kafka {
  const { username, password } = material.users.admin;
  return new Kafka({
    clientId,
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    ...kafkaClientSecurity({ protocol: 'sasl_ssl', mechanism: 'scram-sha-512', username, password, caFile: material.caFile, ca: material.caPem }),
    retry: { initialRetryTime: 200, retries: 10 },
  });
}

/**
 * Makes a freshly started secured broker usable by the services: creates the ACLs of kafka-acls.ts
 * (creating an existing ACL changes nothing, so every start applies the whole table) and the
 * platform topics, as `admin`. The topics are made here so that a consumer starting before the
 * topic's producer finds it: a service may create only its own topics.
 */
export async function applyKafkaAccess(
  brokers: readonly string[],
  material: KafkaSecurityMaterial,
  topics: { partitions: number; replicationFactor: number; minInsyncReplicas: number },
): Promise<void> {
  const admin = adminKafka(brokers, material).admin();
  await admin.connect();
  try {
    await admin.createAcls({ acl: aclEntriesOf(relayAclTable()) });
    const existing = new Set(await admin.listTopics());
    const missing = Object.values(Topics).filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        // min.insync.replicas on the topic itself, as the services set it (kafka/topic-settings.ts in @relay/messaging): the
        // guarantee of acks=all must not depend on the brokers' default.
        topics: missing.map((topic) => ({
          topic,
          numPartitions: topics.partitions,
          replicationFactor: topics.replicationFactor,
          configEntries: topics.replicationFactor >= 2 ? [{ name: 'min.insync.replicas', value: String(topics.minInsyncReplicas) }] : [],
        })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * The `ssl` / `sasl` options of a kafkajs client from the KAFKA_* variables of `env`, for code that
 * the Jest global setups load (no path aliases there, so not through @relay/service-runtime).
 */
export function kafkaClientSecurityFromEnv(env: NodeJS.ProcessEnv): KafkaClientSecurity {
  return kafkaClientSecurity(readKafkaSecurity(env));
}
