import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RELAY_SERVICES, ServiceTopology } from '@relay/contracts';
import { MANAGEMENT_PORT_OFFSET } from '@relay/service-runtime';
import { withGeneratedBlock } from '../generation/generated-block';
import { GeneratedFile, REPO_ROOT } from '../generation/generated-file';

/**
 * The console's per-service lines of the root .env.example (`<SERVICE>_URLS`, `_SCHEMA`, `_GROUP`,
 * apps/console/src/config/watched-services.ts), one set per service of the topology, with the
 * defaults that file gives them: the service's management port, its name as its schema, its
 * consumer group. The console's settings spec still checks each line against the declaration.
 */
export function rootEnvExample(): GeneratedFile {
  const file = path.join(REPO_ROOT, '.env.example');
  const variable = (service: string, suffix: string) => `${service.toUpperCase()}_${suffix}`;
  const lines = [
    ...RELAY_SERVICES.map((service) => `# ${variable(service, 'URLS')}=http://127.0.0.1:${ServiceTopology[service].httpPort + MANAGEMENT_PORT_OFFSET}`),
    '# Each service\'s schema and consumer group (what the audit and an order\'s story read).',
    ...RELAY_SERVICES.map((service) => `# ${variable(service, 'SCHEMA')}=${service}`),
    ...RELAY_SERVICES.map((service) => `# ${variable(service, 'GROUP')}=${ServiceTopology[service].consumerGroup}`),
  ];
  return { file, content: withGeneratedBlock(readFileSync(file, 'utf8'), file, "the console's variables per service", lines) };
}
