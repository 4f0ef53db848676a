import path from 'node:path';
import { RelayServiceName, ServiceTopology } from '@relay/contracts';
import { MANAGEMENT_PORT_OFFSET } from '@relay/service-runtime';
import { generatedHeader, readTemplate, type GeneratedFile } from '../generation/generated-file';
import { renderTemplate } from '../generation/template';
import { envPrefix, listed } from '../generation/words';
import { BASE_DIR, kafkaTriggers } from './keda-triggers';
import { DEFAULT_MIN_REPLICA_COUNT, SERVICE_DEPLOY_DIFFERENCES } from './service-differences';

/*
 * base/<service>.yaml (Deployment, Service, NetworkPolicy, PodDisruptionBudget, ScaledObject,
 * TriggerAuthentication), one per service of ServiceTopology, all from templates/service.yaml.
 */

export const SERVICE_TEMPLATE = path.join(__dirname, 'templates', 'service.yaml');

/** The base manifest of a service. */
export function baseManifestFile(service: RelayServiceName): string {
  return path.join(BASE_DIR, `${service}.yaml`);
}

function summary(service: RelayServiceName): string {
  const { consumerGroup, publishes, consumes } = ServiceTopology[service];
  const what = SERVICE_DEPLOY_DIFFERENCES[service]?.summary;
  const publishing = publishes.length > 0 ? `its outbox relay publishes ${listed(publishes)}` : 'it publishes nothing';
  const consuming = consumes.length > 0 ? `consumer group "${consumerGroup}" reads ${listed(consumes)}` : 'it consumes nothing';
  return `# ${service}: ${what ? `${what}; ` : ''}${publishing}; ${consuming}.`;
}

function scalingComment(service: RelayServiceName): string[] {
  const written = SERVICE_DEPLOY_DIFFERENCES[service]?.scalingComment;
  if (written) return written.map((line) => `# ${line}`);
  const { consumerGroup, consumes } = ServiceTopology[service];
  return consumes.length === 1
    ? [`# Scales on the lag of group "${consumerGroup}" on ${consumes[0]}.`]
    : [`# Scales on the lag of group "${consumerGroup}": one trigger per topic it reads; KEDA takes the largest.`];
}

export function serviceManifest(service: RelayServiceName, bootstrapServers: string): GeneratedFile {
  const { httpPort, consumerGroup } = ServiceTopology[service];
  const consumes: readonly string[] = ServiceTopology[service].consumes;
  const differences = SERVICE_DEPLOY_DIFFERENCES[service] ?? {};
  // A ScaledObject with no trigger is refused by KEDA: a service that consumes nothing needs a
  // trigger of its own (extraTriggers), or a manifest without a ScaledObject.
  if (consumes.length === 0 && !differences.extraTriggers) throw new Error(`${service} consumes no topic: give it extraTriggers in deploy/kubernetes/service-differences.ts`);
  const body = renderTemplate(
    readTemplate(SERVICE_TEMPLATE),
    {
      summary: summary(service),
      service,
      SERVICE: envPrefix(service),
      httpPort,
      managementPort: httpPort + MANAGEMENT_PORT_OFFSET,
      consumerGroup,
      scalingComment: scalingComment(service),
      minReplicaCount: differences.minReplicaCount ?? DEFAULT_MIN_REPLICA_COUNT,
      kafkaTriggers: kafkaTriggers(service, bootstrapServers),
      extraTriggers: differences.extraTriggers ?? [],
    },
    SERVICE_TEMPLATE,
  );
  return { file: baseManifestFile(service), content: [...generatedHeader(SERVICE_TEMPLATE), body].join('\n') };
}
