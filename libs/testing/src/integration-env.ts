import { randomBytes } from 'node:crypto';

export interface IntegrationEnv {
  kafkaBrokers: string[];
  databaseUrl: string;
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
  return { kafkaBrokers: brokers.split(','), databaseUrl };
}

/** A name no other test run uses: for topics, consumer groups and schemas (lower-case, [a-z0-9_]). */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}
