import { DataSource, DataSourceOptions, MixedList, EntitySchema } from 'typeorm';

export interface PostgresSettings {
  url: string;
  /** Each service owns one schema; no service reads another's tables. */
  schema: string;
  applicationName: string;
  /** Connections in the pool (a service: DATABASE_POOL_SIZE, whose default is declared with it). */
  poolSize: number;
}

/**
 * No transaction of ours waits on the application for this long unless the process is stuck; every
 * connection of a service (its pool, its outbox relay's) has it as `idle_in_transaction_session_timeout`.
 */
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000;

type EntityList = MixedList<string | (new (...args: never[]) => unknown) | EntitySchema>;
type MigrationList = MixedList<string | (new (...args: never[]) => unknown)>;

/**
 * TypeORM options for one service's schema. Unqualified SQL (entities and migrations alike)
 * lands in that schema through the connection's search_path, so migrations stay schema-agnostic
 * and a test can run a service in a throw-away schema.
 */
export function postgresDataSourceOptions(
  settings: PostgresSettings,
  parts: { entities: EntityList; migrations: MigrationList },
): DataSourceOptions {
  return {
    type: 'postgres',
    url: settings.url,
    entities: parts.entities,
    migrations: parts.migrations,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    migrationsRun: false,
    extra: {
      // idle_in_transaction_session_timeout: a process frozen inside a transaction (SIGSTOP, a
      // stuck VM) would keep its row locks and block the instance that took over its partitions;
      // PostgreSQL ends such a session, its transaction rolls back, and the work is redone once.
      options: `-c search_path=${settings.schema} -c idle_in_transaction_session_timeout=${IDLE_IN_TRANSACTION_TIMEOUT_MS}`,
      application_name: settings.applicationName,
      max: settings.poolSize,
      // Waiting this long for a free connection means overload: the request answers 503 (retry later).
      connectionTimeoutMillis: 10_000,
    },
  };
}

/**
 * Opens the data source, creates the service's schema and applies pending migrations. A
 * PostgreSQL advisory lock serialises migrations, so several instances of a service can start
 * at once without racing each other.
 */
export async function openPostgresDataSource(options: DataSourceOptions, schema: string): Promise<DataSource> {
  const dataSource = new DataSource(options);
  await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`relay-migrations:${schema}`]);
    try {
      await runner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`relay-migrations:${schema}`]);
    }
  } catch (error) {
    await runner.release();
    await dataSource.destroy();
    throw error;
  }
  await runner.release();
  return dataSource;
}
