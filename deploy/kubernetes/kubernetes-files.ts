import { RELAY_SERVICES } from '@relay/contracts';
import type { GeneratedFile } from '../generation/generated-file';
import { baseKafkaBrokers } from './keda-triggers';
import { baseResources, productionImages, productionKafkaEnvExample } from './kustomization-lists';
import { serviceManifest } from './service-manifest';

/** Every file of deploy/kubernetes that `npm run generate:deploy` writes, with what it should hold now. */
export function kubernetesFiles(): GeneratedFile[] {
  const brokers = baseKafkaBrokers();
  return [...RELAY_SERVICES.map((service) => serviceManifest(service, brokers)), baseResources(), productionImages(), productionKafkaEnvExample()];
}
