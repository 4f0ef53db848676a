import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RELAY_SERVICES, ServiceTopology, Topics } from '@relay/contracts';
import { aclToolArguments, relayAclTable } from '@relay/local-stack';
import { generatedHeader, readTemplate, REPO_ROOT, type GeneratedFile } from '../generation/generated-file';
import { withGeneratedBlock } from '../generation/generated-block';
import { renderTemplate } from '../generation/template';
import { envPrefix } from '../generation/words';

/*
 * The Docker stack's per-service parts, from ServiceTopology: docker/compose.yaml (one service
 * block each, their Kafka passwords, the ACLs, the topics), the SCRAM logins secure-kafka.sh
 * creates and the passwords docker/.env.example asks for. The ACLs are the local stack's table
 * (tools/local-stack/src/kafka-acls.ts), applied one kafka-acls.sh per rule.
 */

const DOCKER_DIR = path.join(REPO_ROOT, 'docker');
export const COMPOSE_FILE = path.join(DOCKER_DIR, 'compose.yaml');
export const COMPOSE_TEMPLATE = path.join(__dirname, 'templates', 'compose.yaml');
export const COMPOSE_SERVICE_TEMPLATE = path.join(__dirname, 'templates', 'compose-service.yaml');

/** The compose variable holding a service's Kafka password (docker/.env). */
const passwordVariable = (service: string) => `${envPrefix(service)}_KAFKA_PASSWORD`;

function serviceBlock(service: (typeof RELAY_SERVICES)[number]): string {
  const { httpPort, consumerGroup } = ServiceTopology[service];
  return renderTemplate(readTemplate(COMPOSE_SERVICE_TEMPLATE).trimEnd(), { service, SERVICE: envPrefix(service), httpPort, consumerGroup }, COMPOSE_SERVICE_TEMPLATE);
}

export function composeFile(): GeneratedFile {
  const body = renderTemplate(
    readTemplate(COMPOSE_TEMPLATE),
    {
      servicePasswords: RELAY_SERVICES.map((service) => `${passwordVariable(service)}: \${${passwordVariable(service)}:?set it in docker/.env}`),
      aclCommands: relayAclTable().map((rule) => `/opt/kafka/bin/kafka-acls.sh --bootstrap-server kafka:9092 --command-config /tmp/admin-client.properties ${aclToolArguments(rule)} > /dev/null &&`),
      topics: Object.values(Topics).join(' '),
      services: RELAY_SERVICES.map(serviceBlock).join('\n\n'),
    },
    COMPOSE_TEMPLATE,
  );
  return { file: COMPOSE_FILE, content: [...generatedHeader(COMPOSE_TEMPLATE, COMPOSE_SERVICE_TEMPLATE), body].join('\n') };
}

/** The SCRAM login of each service, added at format time by secure-kafka.sh's broker(). */
export function secureKafkaLogins(): GeneratedFile {
  const file = path.join(DOCKER_DIR, 'kafka', 'secure-kafka.sh');
  const logins = RELAY_SERVICES.map((service) => `set -- "$@" --add-scram "SCRAM-SHA-512=[name=${service},password=$${passwordVariable(service)}]"`);
  return { file, content: withGeneratedBlock(readFileSync(file, 'utf8'), file, 'one login per service', logins) };
}

export function dockerEnvExample(): GeneratedFile {
  const file = path.join(DOCKER_DIR, '.env.example');
  return { file, content: withGeneratedBlock(readFileSync(file, 'utf8'), file, 'one password per service', RELAY_SERVICES.map((service) => `${passwordVariable(service)}=CHANGE_ME`)) };
}
