import { LOOPBACK_HOST } from './free-port';

/**
 * The server.properties of one KRaft node (combined broker + controller) of a local cluster of
 * `voters.length` nodes, and the replication settings that follow the cluster's size. Pure: the
 * runner writes the result to `<node dir>/server.properties` on every start.
 */

export type PropertyValue = string | number | boolean;

export interface KafkaReplication {
  /** Replicas of every topic (internal ones included): min(3, nodes). */
  replicationFactor: number;
  /**
   * Replicas that must have a record before acks=all succeeds: min(2, replicationFactor - 1), at
   * least 1. With 3 replicas, one broker may fail without stopping writes, and an acknowledged
   * record is on two brokers, so one failure never loses it; a single node makes do with itself.
   */
  minInsyncReplicas: number;
}

export function replicationForNodes(nodes: number): KafkaReplication {
  if (!Number.isInteger(nodes) || nodes < 1) throw new Error(`a Kafka cluster has 1 node or more, got ${nodes}`);
  const replicationFactor = Math.min(3, nodes);
  return { replicationFactor, minInsyncReplicas: Math.max(1, Math.min(2, replicationFactor - 1)) };
}

/** Kafka sizes `npm start` and `npm run bench` run: one node, or a cluster that survives the loss of one. */
export const KAFKA_NODE_CHOICES = [1, 3] as const;

/** A `--brokers N` option: 1 (when not given) or 3; anything else is refused, saying why. */
export function parseKafkaNodeCount(flag: string, given: string | undefined): number {
  if (given === undefined) return 1;
  const nodes = Number(given);
  if (given.trim() === '' || !(KAFKA_NODE_CHOICES as readonly number[]).includes(nodes)) {
    throw new Error(`${flag} takes ${KAFKA_NODE_CHOICES.join(' or ')} (one Kafka node, or a 3-node cluster: replication 3, min ISR 2), got "${given}"`);
  }
  return nodes;
}

export interface KafkaVoter {
  nodeId: number;
  controllerPort: number;
}

/**
 * What a node needs to run secured (kafka-security.ts makes it). Without it the node runs as
 * before issue 13: PLAINTEXT, no authorizer (the bench's --insecure, for comparison only).
 */
export interface KafkaNodeSecurity {
  keystoreFile: string;
  truststoreFile: string;
  storePassword: string;
  /** The SCRAM login the brokers use between themselves: a super user. */
  interBroker: { username: string; password: string };
  /** The principal of the brokers' certificate, e.g. `CN=relay-broker`: what a controller sees over mutual TLS. */
  brokerCertificateDn: string;
}

export interface KafkaNodeProperties {
  nodeId: number;
  /** Where the node keeps its log segments and metadata log. */
  logDirs: string;
  /** Client listener on 127.0.0.1: SASL_SSL (SCRAM-SHA-512) when `security` is given, else PLAINTEXT. */
  port: number;
  /** Every controller of the cluster, this node included (its controller listener is its own entry). */
  voters: readonly KafkaVoter[];
  security?: KafkaNodeSecurity;
  /** Set last, over the generated values (e.g. a shorter broker.session.timeout.ms for fault tests). */
  overrides?: Readonly<Record<string, PropertyValue>>;
}

function plaintextListeners(port: number, controllerPort: number): Array<[string, PropertyValue]> {
  return [
    ['listeners', `PLAINTEXT://${LOOPBACK_HOST}:${port},CONTROLLER://${LOOPBACK_HOST}:${controllerPort}`],
    ['advertised.listeners', `PLAINTEXT://${LOOPBACK_HOST}:${port}`],
    ['controller.listener.names', 'CONTROLLER'],
    ['listener.security.protocol.map', 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT'],
    ['inter.broker.listener.name', 'PLAINTEXT'],
  ];
}

/**
 * Two listeners, both on 127.0.0.1 and both encrypted:
 * - CLIENT, SASL_SSL with SCRAM-SHA-512: every client, and the brokers' replication among
 *   themselves as the `admin` super user (the only login the brokers hold).
 * - CONTROLLER, SSL with client certificates required (mutual TLS): KRaft cannot use SCRAM there
 *   (the SCRAM credentials live in the metadata log the controllers serve), so a node proves itself
 *   with the brokers' key, which only the stack's 0600 files hold; its certificate's DN is a super
 *   user. A PLAINTEXT controller listener would make anyone on the machine (it is shared) a super user.
 * The StandardAuthorizer denies whatever no ACL allows (allow.everyone.if.no.acl.found=false); the
 * ACLs come from kafka-acls.ts, applied once the node serves (kafka-access.ts).
 */
function securedListeners(port: number, controllerPort: number, security: KafkaNodeSecurity): Array<[string, PropertyValue]> {
  const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${security.interBroker.username}" password="${security.interBroker.password}";`;
  return [
    ['listeners', `CLIENT://${LOOPBACK_HOST}:${port},CONTROLLER://${LOOPBACK_HOST}:${controllerPort}`],
    ['advertised.listeners', `CLIENT://${LOOPBACK_HOST}:${port}`],
    ['controller.listener.names', 'CONTROLLER'],
    ['listener.security.protocol.map', 'CLIENT:SASL_SSL,CONTROLLER:SSL'],
    ['inter.broker.listener.name', 'CLIENT'],
    ['sasl.enabled.mechanisms', 'SCRAM-SHA-512'],
    ['sasl.mechanism.inter.broker.protocol', 'SCRAM-SHA-512'],
    ['listener.name.client.scram-sha-512.sasl.jaas.config', jaas],
    ['listener.name.controller.ssl.client.auth', 'required'],
    ['ssl.keystore.type', 'PKCS12'],
    ['ssl.keystore.location', security.keystoreFile],
    ['ssl.keystore.password', security.storePassword],
    ['ssl.truststore.type', 'PKCS12'],
    ['ssl.truststore.location', security.truststoreFile],
    ['ssl.truststore.password', security.storePassword],
    ['ssl.endpoint.identification.algorithm', 'https'],
    ['authorizer.class.name', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer'],
    ['allow.everyone.if.no.acl.found', false],
    ['super.users', `User:${security.interBroker.username};User:${security.brokerCertificateDn}`],
  ];
}

function propertyValue(value: PropertyValue): string {
  // java.util.Properties treats backslash as an escape (Windows paths).
  return String(value).replace(/\\/g, '\\\\');
}

export function renderServerProperties(node: KafkaNodeProperties): string {
  const self = node.voters.find((voter) => voter.nodeId === node.nodeId);
  if (self === undefined) throw new Error(`node ${node.nodeId} is not among the voters ${node.voters.map((voter) => voter.nodeId).join(', ')}`);
  const { replicationFactor, minInsyncReplicas } = replicationForNodes(node.voters.length);
  const properties = new Map<string, PropertyValue>([
    ['process.roles', 'broker,controller'],
    ['node.id', node.nodeId],
    // Static voters rather than a dynamic quorum: the voter endpoints are read from this file on
    // every start instead of being frozen into the formatted log, so a whole-cluster restart may use
    // different (freshly picked) controller ports, and every node is formatted the same way.
    ['controller.quorum.voters', node.voters.map((voter) => `${voter.nodeId}@${LOOPBACK_HOST}:${voter.controllerPort}`).join(',')],
    ...(node.security ? securedListeners(node.port, self.controllerPort, node.security) : plaintextListeners(node.port, self.controllerPort)),
    // Topics are created explicitly (admin API / TopicCommand); typos must fail, not create topics.
    ['auto.create.topics.enable', false],
    ['num.partitions', 6],
    // Replication follows the cluster's size: every internal topic too (a single node makes do with one replica).
    ['default.replication.factor', replicationFactor],
    ['min.insync.replicas', minInsyncReplicas],
    // An out-of-sync replica never becomes leader: waiting for an in-sync one beats losing acknowledged records.
    ['unclean.leader.election.enable', false],
    ['offsets.topic.replication.factor', replicationFactor],
    // Fewer __consumer_offsets partitions than the default 50: the group coordinator loads faster.
    ['offsets.topic.num.partitions', 6],
    ['transaction.state.log.replication.factor', replicationFactor],
    ['transaction.state.log.min.isr', minInsyncReplicas],
    ['transaction.state.log.num.partitions', 6],
    ['share.coordinator.state.topic.replication.factor', replicationFactor],
    ['share.coordinator.state.topic.min.isr', minInsyncReplicas],
    // Tests join groups constantly; the default 3 s delay would slow every first join.
    ['group.initial.rebalance.delay.ms', 0],
    ['log.dirs', node.logDirs],
  ]);
  for (const [key, value] of Object.entries(node.overrides ?? {})) properties.set(key, value);
  return [
    '# Generated by tools/local-stack/src/kafka-properties.ts on every start; edits are overwritten.',
    ...[...properties].map(([key, value]) => `${key}=${propertyValue(value)}`),
    '',
  ].join('\n');
}
