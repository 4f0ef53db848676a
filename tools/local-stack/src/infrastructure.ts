import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startKafkaBroker } from './kafka-broker';
import { startKafkaCluster } from './kafka-cluster';
import { replicationForNodes } from './kafka-properties';
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
  const kafka = env.KAFKA_BROKERS
    ? undefined
    : kafkaNodes === 1
      ? startKafkaBroker({ dataDir: dir('kafka-data'), port: persistent ? 9092 : 0, onProgress: kafkaProgress })
      : startKafkaCluster({
          dataDir: dir('kafka-cluster'),
          nodes: kafkaNodes,
          ports: persistent ? Array.from({ length: kafkaNodes }, (_, index) => 9092 + index) : undefined,
          onProgress: kafkaProgress,
        });
  // The topics and the database are one state: consumers store their positions in the topics'
  // partitions with their effects, and every order's events are on the topics. A database kept from
  // a run on other brokers would hold positions in partitions these topics do not have, and orders
  // whose events they never saw; so each Kafka shape keeps its own.
  const postgresDir = kafkaNodes === 1 || env.KAFKA_BROKERS ? 'postgres' : 'postgres-cluster';
  const postgres = env.DATABASE_URL
    ? undefined
    : startPostgres({ dataDir: dir(postgresDir), port: persistent ? 5433 : 0, onProgress: (m) => progress(`postgres: ${m}`) });

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
    started: [...(broker ? [`Kafka ${broker.kafkaVersion} on ${broker.brokers.join(',')}${kafkaNodes > 1 ? ` (${kafkaNodes} nodes, replication ${replicationFactor})` : ''}`] : []), ...(database ? [`PostgreSQL on ${database.url}`] : [])],
    stop: stopAll,
  };
}
