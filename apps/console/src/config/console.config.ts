import { z } from 'zod';
import { CONSOLE_HTTP_PORT } from '@relay/contracts';
import { authEnvShape, envFields, kafkaSecurityEnvShape, readEnv } from '@relay/service-runtime';
import { watchedServicesEnvShape } from './watched-services';

/**
 * Every variable the console reads (documented in .env.example). Defaults are `npm start`'s: its
 * ports, schemas and group names. The console reads Kafka and PostgreSQL directly, through the
 * same operations code as `npm run ops`, and each service instance's /metrics.
 */
export const consoleEnvShape = {
  PORT: envFields.port(CONSOLE_HTTP_PORT),
  CONSOLE_HOST: envFields.listenHost('127.0.0.1'),
  /** How the API's admin tokens are verified: the same settings as the services'. */
  ...authEnvShape(),
  KAFKA_BROKERS: envFields.brokers,
  /** The console's Kafka login (the `ops` principal: it reads every topic and group, replays and purges dead letters). */
  ...kafkaSecurityEnvShape,
  DATABASE_URL: envFields.postgresUrl,
  /** Per service of the topology: `<SERVICE>_URLS`, `<SERVICE>_SCHEMA`, `<SERVICE>_GROUP`. */
  ...watchedServicesEnvShape,
  /** How often the live views are measured (lag, metrics) and pushed to open pages. */
  CONSOLE_SAMPLE_INTERVAL_MS: envFields.positiveInt(2_000, 60_000),
  /** How many samples the sparklines keep (with the default interval: the last 5 minutes). */
  CONSOLE_HISTORY_SAMPLES: envFields.positiveInt(150, 10_000),
  /** A group whose committed positions have not moved for this long while it has lag is shown as stalled. */
  CONSOLE_STALLED_AFTER_MS: envFields.positiveInt(10_000, 3_600_000),
  /**
   * Set when other stacks publish to the same topics (the e2e suite's per-test stacks): the audit
   * then counts their events as foreign instead of reporting them (ops audit's sharedTopic).
   */
  CONSOLE_AUDIT_SHARED_TOPICS: z.stringbool().default(false),
  LOG_LEVEL: envFields.logLevel,
  LOG_FORMAT: envFields.logFormat,
  SHUTDOWN_TIMEOUT_MS: envFields.positiveInt(10_000, 600_000),
  OTEL_EXPORTER_OTLP_ENDPOINT: envFields.optionalHttpUrl,
};

export function readConsoleConfig(env: NodeJS.ProcessEnv = process.env) {
  return readEnv(consoleEnvShape, env);
}

export type ConsoleConfig = ReturnType<typeof readConsoleConfig>;

export const CONSOLE_CONFIG = Symbol('CONSOLE_CONFIG');
