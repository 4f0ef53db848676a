import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startKafkaBroker } from './kafka-broker';
import { startPostgres } from './postgres-server';
import { LOCAL_STATE_DIR } from './repo-paths';

export interface Infrastructure {
  kafkaBrokers: string;
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

  const kafka = env.KAFKA_BROKERS
    ? undefined
    : startKafkaBroker({ dataDir: dir('kafka-data'), port: persistent ? 9092 : 0, onProgress: (m) => progress(`kafka: ${m}`) });
  const postgres = env.DATABASE_URL
    ? undefined
    : startPostgres({ dataDir: dir('postgres'), port: persistent ? 5433 : 0, onProgress: (m) => progress(`postgres: ${m}`) });

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
    databaseUrl: database ? database.url : env.DATABASE_URL!,
    started: [...(broker ? [`Kafka ${broker.kafkaVersion} on ${broker.brokers.join(',')}`] : []), ...(database ? [`PostgreSQL on ${database.url}`] : [])],
    stop: stopAll,
  };
}
