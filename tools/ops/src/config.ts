import { RELAY_SERVICES, RelayServiceName, ServiceTopology, Topics } from '@relay/contracts';
import { localKafkaClientEnv } from '@relay/local-stack';
import { ConfigError, KafkaSecurity, readKafkaSecurity, redactSecrets } from '@relay/service-runtime';
import { UsageError } from './errors';

/** Same defaults as `npm start`. */
export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092';
export const DEFAULT_DATABASE_URL = 'postgres://relay:relay@127.0.0.1:5433/relay';
/** Each service's schema as `npm start` names it (the service's name): what the outbox commands search unless told otherwise. */
export const DEFAULT_SCHEMAS = Object.fromEntries(RELAY_SERVICES.map((service) => [service, service])) as Readonly<Record<RelayServiceName, string>>;
export const DEFAULT_GROUPS = { inventory: ServiceTopology.inventory.consumerGroup, delivery: ServiceTopology.delivery.consumerGroup } as const;
/** The orders service's consumer group (it follows inventory and delivery events). */
export const DEFAULT_ORDERS_GROUP = ServiceTopology.orders.consumerGroup;
/** Every consumer group `npm start` runs (the topology's): what `lag` and the console measure unless told otherwise. */
export const DEFAULT_CONSUMER_GROUPS: readonly string[] = RELAY_SERVICES.map((service) => ServiceTopology[service].consumerGroup);
export const DEFAULT_SOURCE_TOPIC = Topics.orderEvents;

/** `host:port[,host:port…]`, from KAFKA_BROKERS or the default. */
export function kafkaBrokersFrom(env: NodeJS.ProcessEnv): string[] {
  const raw = env.KAFKA_BROKERS === undefined || env.KAFKA_BROKERS.trim() === '' ? DEFAULT_KAFKA_BROKERS : env.KAFKA_BROKERS;
  return parseBrokers(raw, 'KAFKA_BROKERS');
}

/**
 * How ops logs in to Kafka: the KAFKA_* security variables, as the services read them (SASL_SSL by
 * default). With no KAFKA_USERNAME and a local stack's logins in .relay/kafka-security (or
 * RELAY_KAFKA_SECURITY_DIR), the `ops` principal's: zero configuration after `npm start`.
 */
export function kafkaSecurityFrom(env: NodeJS.ProcessEnv): KafkaSecurity {
  const local = env.KAFKA_USERNAME || env.KAFKA_SECURITY_PROTOCOL === 'plaintext' ? undefined : localKafkaClientEnv('ops', env);
  try {
    return readKafkaSecurity({ ...env, ...local });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`Kafka login settings: ${error.problems.join('; ')}`);
    throw error;
  }
}

export function parseBrokers(raw: string, name: string): string[] {
  const brokers = raw.split(',').map((entry) => entry.trim());
  for (const broker of brokers) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(broker);
    const port = match ? Number(match[2]) : NaN;
    if (!match || port < 1 || port > 65_535) {
      throw new UsageError(`${name} must be a comma-separated list of host:port (e.g. 127.0.0.1:9092), got "${raw}"`);
    }
  }
  return brokers;
}

/** A postgres:// URL, from DATABASE_URL or the default. */
export function databaseUrlFrom(env: NodeJS.ProcessEnv): string {
  const raw = env.DATABASE_URL === undefined || env.DATABASE_URL.trim() === '' ? DEFAULT_DATABASE_URL : env.DATABASE_URL.trim();
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`DATABASE_URL must be a PostgreSQL URL (postgres://user:password@host:port/database), got "${redact(raw)}"`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new UsageError(`DATABASE_URL must start with postgres:// or postgresql://, got "${redact(raw)}"`);
  }
  if (url.hostname === '' && !url.searchParams.has('host')) {
    throw new UsageError(`DATABASE_URL names no host, got "${redact(raw)}"`);
  }
  return raw;
}

/** The URL without its password, for messages: the services' redaction, which also covers a malformed URL (the one a message shows). */
export const redact = redactSecrets;

/** A PostgreSQL schema name as the services accept it (unquoted identifier). */
export function schemaFlag(flag: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(value)) {
    throw new UsageError(`--${flag} must be a schema name (letters, digits, _; not starting with a digit), got "${value}"`);
  }
  return value;
}

/** A Kafka consumer group or topic name: legal characters only, so typos are caught early. */
export function kafkaNameFlag(flag: string, value: string): string {
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(value)) {
    throw new UsageError(`--${flag} must be a Kafka name (letters, digits, '.', '_', '-'), got "${value}"`);
  }
  return value;
}

export function listFlag(flag: string, value: string): string[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw new UsageError(`--${flag} needs at least one name, got "${value}"`);
  return items.map((item) => kafkaNameFlag(flag, item));
}

export function integerFlag(flag: string, value: string, { min, max = Number.MAX_SAFE_INTEGER }: { min: number; max?: number }): number {
  const number = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `${min}-${max}`;
    throw new UsageError(`--${flag} must be a whole number ${range}, got "${value}"`);
  }
  return number;
}

export interface RecordPosition {
  partition: number;
  offset: string;
}

/** `<partition>:<offset>`, e.g. `3:1207`. */
export function parsePosition(value: string): RecordPosition {
  const match = /^(\d{1,9}):(\d{1,19})$/.exec(value.trim());
  if (!match) throw new UsageError(`a record position is <partition>:<offset> (e.g. 3:1207), got "${value}"`);
  return { partition: Number(match[1]), offset: BigInt(match[2]).toString() };
}

export const formatPosition = (position: RecordPosition): string => `${position.partition}:${position.offset}`;
