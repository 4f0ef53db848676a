import { databaseUrlFrom, kafkaBrokersFrom } from './config';
import { Io } from './io';

/** One CLI command: `npm run ops -- <name> …`. */
export interface Command {
  /** e.g. `dlq replay` */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The full `--help` text. */
  help: string;
  /** Resolves with the exit code: 0 ok, 1 a finding or failure, 2 a usage error. */
  run(args: string[], io: Io): Promise<number>;
}

/** Where Kafka and PostgreSQL are; every exported operation takes these. */
export interface Connection {
  kafkaBrokers: string[];
  databaseUrl: string;
}

export type KafkaConnection = Pick<Connection, 'kafkaBrokers'>;

export const ENVIRONMENT_HELP = `Environment:
  KAFKA_BROKERS   Kafka bootstrap servers, host:port[,host:port…] (default 127.0.0.1:9092, as npm start)
  DATABASE_URL    PostgreSQL URL (default postgres://relay:relay@127.0.0.1:5433/relay, as npm start)
  KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_USERNAME, KAFKA_PASSWORD, KAFKA_SSL_CA_FILE
                  How to log in to Kafka (docs/operations.md). Default: SASL_SSL as the local stack's
                  ops principal (.relay/kafka-security), as npm start`;

export const kafkaFromEnv = (io: Io): KafkaConnection => ({ kafkaBrokers: kafkaBrokersFrom(io.env) });

export const connectionFromEnv = (io: Io): Connection => ({ kafkaBrokers: kafkaBrokersFrom(io.env), databaseUrl: databaseUrlFrom(io.env) });

export const printJson = (io: Io, value: unknown): void => io.out(JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item), 2));
