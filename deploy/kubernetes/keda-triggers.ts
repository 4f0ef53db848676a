import path from 'node:path';
import { RelayServiceName, ServiceTopology } from '@relay/contracts';
import { readYamlDocuments } from './kustomize';

/*
 * The kafka triggers of each service's KEDA ScaledObject, generated from the contracts'
 * ServiceTopology: one trigger per topic the service's consumer group reads. The rest of each
 * manifest is written by hand; only the block between the markers below is generated, so its
 * comments and the other triggers (orders' cpu trigger) stay as written.
 */

/** The command that rewrites the generated blocks (package.json). */
export const REGENERATE_KEDA_TRIGGERS = 'npm run generate:keda';

export const BASE_DIR = path.join(__dirname, 'base');

const INDENT = '    ';
const BEGIN_MARKER = `${INDENT}# Generated from ServiceTopology`;
const END_MARKER = `${INDENT}# End of the generated kafka triggers.`;

/** The base manifest of a service (Deployment, Service, ScaledObject...). */
export function baseManifestFile(service: RelayServiceName): string {
  return path.join(BASE_DIR, `${service}.yaml`);
}

/** KAFKA_BROKERS of the base's relay-config: every trigger reads lag from the brokers the services use. */
export function baseKafkaBrokers(baseDir = BASE_DIR): string {
  const [kustomization] = readYamlDocuments(path.join(baseDir, 'kustomization.yaml')) as { configMapGenerator?: { name: string; literals?: string[] }[] }[];
  const literals = kustomization.configMapGenerator?.find((generator) => generator.name === 'relay-config')?.literals ?? [];
  const brokers = literals.find((literal) => literal.startsWith('KAFKA_BROKERS='))?.slice('KAFKA_BROKERS='.length);
  if (!brokers) throw new Error(`${baseDir}/kustomization.yaml: relay-config sets no KAFKA_BROKERS`);
  return brokers;
}

/** The generated block of a service's ScaledObject triggers, markers included, each line indented as under `triggers:`. */
export function kafkaTriggersBlock(service: RelayServiceName, bootstrapServers: string): string {
  const { consumerGroup, consumes } = ServiceTopology[service];
  const header = [
    `${BEGIN_MARKER}.${service}.consumes (libs/contracts/src/topology.ts): one kafka trigger per`,
    `# topic the group reads; \`${REGENERATE_KEDA_TRIGGERS}\` rewrites this block, do not edit it.`,
    '# authenticationRef: KEDA reads the group\'s lag with the service\'s own login (it may describe its group and topics).',
    '# lagThreshold: target lag per instance: replicas = ceil(lag of the topic / 100), capped as above.',
    '# offsetResetPolicy: the consumers start a new group from the earliest offset (fromBeginning): count lag alike.',
    '# allowIdleConsumers: never more instances than partitions (KEDA\'s default, stated so nobody flips it).',
  ];
  const trigger = (topic: string) => [
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
  ];
  const lines = [...header, ...consumes.flatMap(trigger), END_MARKER.trimStart()];
  return lines.map((line, index) => (index === 0 ? line : `${INDENT}${line}`)).join('\n');
}

/** A service's manifest text with its generated block replaced by what the topology gives now. */
export function withGeneratedTriggers(manifest: string, service: RelayServiceName, bootstrapServers: string): string {
  const begin = manifest.indexOf(BEGIN_MARKER);
  const end = manifest.indexOf(END_MARKER);
  if (begin < 0 || end < begin) {
    throw new Error(`${service}.yaml: no generated kafka triggers block (a line starting "${BEGIN_MARKER.trim()}" and one "${END_MARKER.trim()}" under the ScaledObject's triggers)`);
  }
  return manifest.slice(0, begin) + kafkaTriggersBlock(service, bootstrapServers) + manifest.slice(end + END_MARKER.length);
}
