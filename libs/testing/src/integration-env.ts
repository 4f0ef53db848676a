import { randomBytes } from 'node:crypto';
import { kafkaClientSecurity, KafkaClientSecurity, KafkaSecurity, readKafkaSecurity } from '@relay/service-runtime';

export interface IntegrationEnv {
  kafkaBrokers: string[];
  databaseUrl: string;
  /** How the tests log in: the KAFKA_* security variables (`npm test` and the global setup give the local admin principal). */
  kafkaSecurity: KafkaSecurity;
  /** kafkaSecurity as the `ssl` / `sasl` options of a kafkajs client, to spread into `new Kafka({ ... })`. */
  kafkaClient: KafkaClientSecurity;
}

/**
 * Where integration tests find real Kafka and PostgreSQL. `npm test` (and the Jest global setup,
 * when run alone) start them and set KAFKA_BROKERS and DATABASE_URL.
 */
export function integrationEnv(): IntegrationEnv {
  const brokers = process.env.KAFKA_BROKERS;
  const databaseUrl = process.env.DATABASE_URL;
  if (!brokers || !databaseUrl) {
    throw new Error('integration tests need KAFKA_BROKERS and DATABASE_URL; run them with `npm test` or through Jest (its global setup starts both)');
  }
  const kafkaSecurity = readKafkaSecurity();
  return { kafkaBrokers: brokers.split(','), databaseUrl, kafkaSecurity, kafkaClient: kafkaClientSecurity(kafkaSecurity) };
}

/** A name no other test run uses: for topics, consumer groups and schemas (lower-case, [a-z0-9_]). */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/**
 * The `ssl` / `sasl` options of a kafkajs client from the KAFKA_* security variables of `env`
 * (the e2e suite's own clients: `admin` under `npm test` and the global setups).
 */
export function kafkaClientFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaClientSecurity {
  return kafkaClientSecurity(readKafkaSecurity(env));
}
