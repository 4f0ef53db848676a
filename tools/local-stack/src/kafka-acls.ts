// The topology is the contracts' (one home); loaded by path because the Jest global setups that
// start brokers resolve no path aliases, and that file imports nothing but ./topics.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { ServiceTopology } from '../../../libs/contracts/src/topology';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { deadLetterTopicFor, Topics } from '../../../libs/contracts/src/topics';
import type { KafkaPrincipal } from './kafka-security';

/**
 * Who may do what on a secured broker: the one table of Kafka ACLs, derived from the contracts'
 * ServiceTopology (who publishes and consumes each topic) and the dead-letter naming
 * (deadLetterTopicFor). Whatever is not here is denied (allow.everyone.if.no.acl.found=false);
 * `admin` is a super user and needs no rule. docs/security.md shows the table this produces.
 */

export type AclOperation = 'Read' | 'Write' | 'Create' | 'Delete' | 'Describe' | 'DescribeConfigs' | 'AlterConfigs';

export interface AclRule {
  principal: KafkaPrincipal;
  resource: 'topic' | 'group' | 'cluster';
  /** `*` with `literal`: every resource of the kind. */
  name: string;
  /** `prefixed`: every name that starts with `name`. */
  pattern: 'literal' | 'prefixed';
  operations: readonly AclOperation[];
  /** Why the principal needs it. */
  reason: string;
}

type ServiceName = keyof typeof ServiceTopology;

/**
 * A service's consumer groups are its name or start with it (`inventory`, and `inventory-<suffix>`
 * as the e2e stacks name theirs), and so are the dead-letter topics it parks in
 * (`<source topic>.dlq.<group>`): prefixed rules, so each stack's own groups work with no new ACL.
 */
function serviceRules(service: ServiceName): AclRule[] {
  const { publishes, consumes } = ServiceTopology[service];
  return [
    ...publishes.map((topic): AclRule => ({
      principal: service,
      resource: 'topic',
      name: topic,
      pattern: 'literal',
      // Write alone also allows the idempotent producer (Kafka >= 3.0, KIP-679: no IdempotentWrite on the cluster).
      // Create: a service creates its own topic when it starts first (kafka/kafkajs/kafkajs-topic-provisioner.ts in @relay/messaging).
      // DescribeConfigs: the relay reads the topic's max.message.bytes to size its batches (relay-producer.ts).
      operations: ['Write', 'Describe', 'Create', 'DescribeConfigs'],
      reason: 'publishes it (outbox relay)',
    })),
    ...consumes.map((topic): AclRule => ({ principal: service, resource: 'topic', name: topic, pattern: 'literal', operations: ['Read', 'Describe'], reason: 'consumes it' })),
    ...consumes.map((topic): AclRule => ({
      principal: service,
      resource: 'topic',
      name: deadLetterTopicFor(topic, service),
      pattern: 'prefixed',
      operations: ['Write', 'Describe', 'Create', 'DescribeConfigs', 'AlterConfigs'],
      reason: 'parks what it cannot process, in its own dead-letter topics (created and kept with retention.ms=-1 by it)',
    })),
    { principal: service, resource: 'group', name: service, pattern: 'prefixed', operations: ['Read', 'Describe'], reason: 'its own consumer group(s): join, commit, report lag' },
  ];
}

/** tools/ops: reads everything of the platform, writes only replays back to the source topics. */
function opsRules(): AclRule[] {
  const topics = Object.values(Topics);
  return [
    { principal: 'ops', resource: 'topic', name: 'relay.', pattern: 'prefixed', operations: ['Read', 'Describe', 'DescribeConfigs'], reason: 'audit, lag, topics, dlq list/show read every platform and dead-letter topic' },
    ...topics.map((topic): AclRule => ({ principal: 'ops', resource: 'topic', name: topic, pattern: 'literal', operations: ['Write'], reason: 'dlq replay and outbox republish write events back to their source topic' })),
    ...topics.map((topic): AclRule => ({ principal: 'ops', resource: 'topic', name: deadLetterTopicFor(topic, ''), pattern: 'prefixed', operations: ['Delete'], reason: 'dlq purge deletes records of dead-letter topics' })),
    { principal: 'ops', resource: 'group', name: '*', pattern: 'literal', operations: ['Describe'], reason: 'audit and lag read every group\'s members and committed offsets' },
    { principal: 'ops', resource: 'group', name: 'relay-ops-', pattern: 'prefixed', operations: ['Read', 'Delete'], reason: 'its throw-away scan groups (never committed, deleted after)' },
    { principal: 'ops', resource: 'cluster', name: 'kafka-cluster', pattern: 'literal', operations: ['Describe'], reason: 'lists the groups' },
  ];
}

export function relayAclTable(): AclRule[] {
  return [...(Object.keys(ServiceTopology) as ServiceName[]).flatMap(serviceRules), ...opsRules()];
}

/**
 * One rule as the arguments of Kafka's `kafka-acls.sh --add` (docker/compose.yaml applies the table
 * this way: `npm run generate:deploy` writes its lines with this function, and
 * deploy/docker/compose.spec.ts checks that they are this table).
 */
export function aclToolArguments(rule: AclRule): string {
  const resource = rule.resource === 'cluster' ? '--cluster' : `--${rule.resource} ${rule.name === '*' ? "'*'" : rule.name}`;
  const pattern = rule.pattern === 'prefixed' ? ' --resource-pattern-type prefixed' : '';
  return `--add --allow-principal User:${rule.principal} ${rule.operations.map((operation) => `--operation ${operation}`).join(' ')} ${resource}${pattern}`;
}
