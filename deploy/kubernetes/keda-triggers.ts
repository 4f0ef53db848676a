import path from 'node:path';
import { RelayServiceName, ServiceTopology } from '@relay/contracts';
import { readYamlDocuments } from './kustomize';

/*
 * The kafka triggers of each service's KEDA ScaledObject, from the contracts' ServiceTopology: one
 * trigger per topic the service's consumer group reads, each reading the lag from the brokers the
 * services use (KAFKA_BROKERS of the base's relay-config).
 */

export const BASE_DIR = path.join(__dirname, 'base');

/** KAFKA_BROKERS of the base's relay-config: every trigger reads lag from the brokers the services use. */
export function baseKafkaBrokers(baseDir = BASE_DIR): string {
  const [kustomization] = readYamlDocuments(path.join(baseDir, 'kustomization.yaml')) as { configMapGenerator?: { name: string; literals?: string[] }[] }[];
  const literals = kustomization.configMapGenerator?.find((generator) => generator.name === 'relay-config')?.literals ?? [];
  const brokers = literals.find((literal) => literal.startsWith('KAFKA_BROKERS='))?.slice('KAFKA_BROKERS='.length);
  if (!brokers) throw new Error(`${baseDir}/kustomization.yaml: relay-config sets no KAFKA_BROKERS`);
  return brokers;
}

/** The service's kafka triggers, as YAML lines of the ScaledObject's `triggers:` list. */
export function kafkaTriggers(service: RelayServiceName, bootstrapServers: string): string[] {
  const { consumerGroup, consumes } = ServiceTopology[service];
  return consumes.flatMap((topic) => [
    '- type: kafka',
    '  authenticationRef:',
    `    name: ${service}-kafka`,
    '  metadata:',
    `    bootstrapServers: ${bootstrapServers}`,
    '    sasl: scram_sha512',
    '    tls: enable',
    `    consumerGroup: ${consumerGroup}`,
    `    topic: ${topic}`,
    '    lagThreshold: "100"',
    '    offsetResetPolicy: earliest',
    '    allowIdleConsumers: "false"',
  ]);
}
