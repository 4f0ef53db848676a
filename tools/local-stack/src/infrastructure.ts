import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startKafkaBroker } from './kafka-broker';
import { startKafkaCluster } from './kafka-cluster';
import { replicationForNodes } from './kafka-properties';
import { kafkaClientEnv, kafkaSecurityDir, readKafkaSecurity, readOrCreateKafkaSecurity, type KafkaPrincipal, type KafkaSecurityMaterial } from './kafka-security';
import { startPostgres } from './postgres-server';
import { LOCAL_STATE_DIR } from './repo-paths';

export interface Infrastructure {
  kafkaBrokers: string;
  /**
   * Replicas of the topics the services create (their KAFKA_REPLICATION_FACTOR): follows the number
   * of Kafka nodes asked for, whether started here or given by KAFKA_BROKERS.
   */
  replicationFactor: number;
  databaseUrl: string;
  /** The local brokers' CA and logins; undefined for a plaintext broker, or one given by KAFKA_BROKERS outside the local stack. */
  kafkaSecurity: KafkaSecurityMaterial | undefined;
  /**
   * The variables a client needs to log in as `principal` (KAFKA_SECURITY_PROTOCOL, KAFKA_USERNAME,
   * KAFKA_PASSWORD, KAFKA_SSL_CA_FILE …) and RELAY_KAFKA_SECURITY_DIR, so that a child process
   * (the e2e suite) finds the other principals' logins and starts its own brokers with the same ones.
   * Empty when there is no kafkaSecurity: the caller's own KAFKA_* variables apply.
   */
  kafkaEnv(principal: KafkaPrincipal): Record<string, string>;
  /** What was started here (as opposed to given by KAFKA_BROKERS / DATABASE_URL). */
  started: string[];
  stop(): Promise<void>;
}

export interface InfrastructureOptions {
  /**
   * `persistent`: data kept in .relay/ on fixed ports (9092, 5433), for `npm start`.
   * `ephemeral`: fresh temp dirs on free ports, removed on stop, for tests.
   */
  mode: 'persistent' | 'ephemeral';
  /**
   * Kafka nodes: 1 (default), or a cluster of 3 combined controller + broker nodes (replication 3,
   * min ISR 2). Persistent: ports 9092-9094 and .relay/kafka-cluster/ with its own database in
   * .relay/postgres-cluster/; a single node: 9092, .relay/kafka-data/ and .relay/postgres/.
   */
  kafkaNodes?: number;
  /** 'plaintext': the broker runs without TLS, logins or ACLs (bench --insecure, to measure what security costs). Default: secured. */
  kafkaSecurity?: 'secured' | 'plaintext';
  /** Settings the embedded PostgreSQL starts with (see PostgresServerOptions.settings); ignored for a DATABASE_URL server. */
  postgresSettings?: Readonly<Record<string, string>>;
  env?: NodeJS.ProcessEnv;
  onProgress?: (message: string) => void;
}

/**
 * Kafka and PostgreSQL for a run. `KAFKA_BROKERS` / `DATABASE_URL` in the environment point at
 * existing servers and nothing is started for them; otherwise a local broker (from the official
 * Kafka jars) and an embedded PostgreSQL are started, both at once.
 */
export async function startInfrastructure(options: InfrastructureOptions): Promise<Infrastructure> {
  const env = options.env ?? process.env;
  const progress = options.onProgress ?? (() => undefined);
  const persistent = options.mode === 'persistent';
  const tempRoot = persistent ? undefined : await mkdtemp(path.join(os.tmpdir(), 'relay-infra-'));
  const dir = (name: string) => (persistent ? path.join(LOCAL_STATE_DIR, name) : path.join(tempRoot!, name));

  const kafkaNodes = options.kafkaNodes ?? 1;
  const { replicationFactor } = replicationForNodes(kafkaNodes);
  const kafkaProgress = (message: string) => progress(`kafka: ${message}`);
  // Secured brokers of `npm start` keep their CA and logins in .relay/ (or RELAY_KAFKA_SECURITY_DIR);
  // an ephemeral run makes its own in its temp dir. Brokers given by KAFKA_BROKERS: the material of
  // RELAY_KAFKA_SECURITY_DIR when set (a parent run's), else none.
  const securityDir = persistent ? kafkaSecurityDir(env) : path.join(tempRoot!, 'kafka-security');
  let security: KafkaSecurityMaterial | undefined;
  try {
    security = env.KAFKA_BROKERS
      ? env.RELAY_KAFKA_SECURITY_DIR
        ? await readKafkaSecurity(path.resolve(env.RELAY_KAFKA_SECURITY_DIR))
        : undefined
      : options.kafkaSecurity === 'plaintext'
        ? undefined
        : await readOrCreateKafkaSecurity(securityDir, kafkaProgress);
  } catch (error) {
    if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
    throw error;
  }
  const brokerSecurity = security ?? 'plaintext';
  const kafka = env.KAFKA_BROKERS
    ? undefined
    : kafkaNodes === 1
      ? startKafkaBroker({ dataDir: dir('kafka-data'), port: persistent ? 9092 : 0, security: brokerSecurity, onProgress: kafkaProgress })
      : startKafkaCluster({
          dataDir: dir('kafka-cluster'),
          nodes: kafkaNodes,
          ports: persistent ? Array.from({ length: kafkaNodes }, (_, index) => 9092 + index) : undefined,
          security: brokerSecurity,
          onProgress: kafkaProgress,
        });
  // The topics and the database are one state: consumers store their positions in the topics'
  // partitions with their effects, and every order's events are on the topics. A database kept from
  // a run on other brokers would hold positions in partitions these topics do not have, and orders
  // whose events they never saw; so each Kafka shape keeps its own.
  const postgresDir = kafkaNodes === 1 || env.KAFKA_BROKERS ? 'postgres' : 'postgres-cluster';
  const postgres = env.DATABASE_URL
    ? undefined
    : startPostgres({ dataDir: dir(postgresDir), port: persistent ? 5433 : 0, settings: options.postgresSettings, onProgress: (m) => progress(`postgres: ${m}`) });

  const [kafkaResult, postgresResult] = await Promise.allSettled([kafka, postgres]);
  const stopAll = async () => {
    await Promise.all([
      kafkaResult.status === 'fulfilled' ? kafkaResult.value?.stop() : undefined,
      postgresResult.status === 'fulfilled' ? postgresResult.value?.stop() : undefined,
    ]);
    if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
  };
  if (kafkaResult.status === 'rejected' || postgresResult.status === 'rejected') {
    await stopAll();
    throw kafkaResult.status === 'rejected' ? kafkaResult.reason : (postgresResult as PromiseRejectedResult).reason;
  }
  const broker = kafkaResult.value;
  const database = postgresResult.value;
  return {
    kafkaBrokers: broker ? broker.brokers.join(',') : env.KAFKA_BROKERS!,
    replicationFactor,
    databaseUrl: database ? database.url : env.DATABASE_URL!,
    kafkaSecurity: security,
    kafkaEnv: (principal): Record<string, string> => {
      if (security) return { ...kafkaClientEnv(security, principal), RELAY_KAFKA_SECURITY_DIR: security.dir };
      // A plaintext broker of ours is said so explicitly; someone else's keeps the caller's KAFKA_* variables.
      return broker ? { KAFKA_SECURITY_PROTOCOL: 'plaintext' } : {};
    },
    started: [...(broker ? [`Kafka ${broker.kafkaVersion} on ${broker.brokers.join(',')}${kafkaNodes > 1 ? ` (${kafkaNodes} nodes, replication ${replicationFactor})` : ''}, ${security ? `SASL_SSL (SCRAM-SHA-512, ACLs; CA and logins in ${security.dir})` : 'PLAINTEXT (no TLS, no logins, no ACLs)'}`] : []), ...(database ? [`PostgreSQL on ${database.url}`] : [])],
    stop: stopAll,
  };
}
