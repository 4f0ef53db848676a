import { createHash } from 'node:crypto';
import { EntityManager, QueryFailedError, QueryRunner, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';

/**
 * A statement with fixed text, run as a named prepared statement: PostgreSQL parses and analyses
 * it once per connection, where `manager.query` (pg's unnamed statement) has it parse, analyse and
 * plan the text on every call. After five executions PostgreSQL may also keep a generic plan and
 * stop planning (plan_cache_mode = auto: only while the generic plan costs no more than the custom
 * ones did).
 *
 * Only for text that never changes: a batch goes as one array or JSON parameter, never as text.
 */
export interface PreparedStatement {
  /** `relay_` and a hash of the text: two texts never share a name, one text has one name everywhere. */
  readonly name: string;
  readonly text: string;
}

/** Declares a statement once, at module level (the name is a hash of the text, computed here, not per call). */
export function preparedStatement(text: string): PreparedStatement {
  // 160 bits of SHA-1 in hex: 46 characters, under PostgreSQL's 63-byte identifier limit (a longer
  // name would be truncated by the server, and two names could then collide there).
  return Object.freeze({ name: `relay_${createHash('sha1').update(text).digest('hex')}`, text });
}

/** What this needs of pg's client (the connection a TypeORM postgres query runner holds). */
interface PgClient {
  query(config: { name: string; text: string; values: readonly unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * Runs the statement on the manager's connection and returns its rows, as `manager.query` does for
 * a SELECT, an INSERT … RETURNING or a statement whose outer command is a SELECT (WITH … SELECT).
 * One difference: `manager.query` wraps the rows of a top-level UPDATE or DELETE with the row
 * count (`[rows, count]`); this returns the rows alone, always.
 *
 * In a transaction (the manager has a query runner) it runs on the transaction's connection.
 * Otherwise it takes a connection from the pool for the statement and gives it back, as
 * `manager.query` does; the statement stays prepared on that pooled connection.
 *
 * Errors are TypeORM's: a failed statement throws QueryFailedError with the driver's error (its
 * PostgreSQL `code`: serialization failure, deadlock, lock timeout…) as `driverError` and copied
 * onto it, and a released transaction throws QueryRunnerProviderAlreadyReleasedError, so
 * isDatabaseUnavailable and retries classify them as before. TypeORM's query logging (`logging`,
 * `maxQueryExecutionTime`) applies; its BeforeQuery/AfterQuery subscriber events are not sent (no
 * subscriber of ours listens to them).
 *
 * pg keeps, per connection, the names it has prepared: the first call on a connection sends the
 * text (Parse), later ones only the name and values. A name reused with a different text makes pg
 * throw ("Prepared statements must be unique"), which preparedStatement's hash rules out.
 */
export async function queryPrepared<Row>(manager: EntityManager, statement: PreparedStatement, values: readonly unknown[]): Promise<Row[]> {
  const transaction = manager.queryRunner;
  if (transaction?.isReleased) throw new QueryRunnerProviderAlreadyReleasedError();
  const runner = transaction ?? manager.dataSource.createQueryRunner();
  try {
    return await queryOn<Row>(runner, statement, values);
  } finally {
    if (!transaction) await runner.release();
  }
}

async function queryOn<Row>(runner: QueryRunner, statement: PreparedStatement, values: readonly unknown[]): Promise<Row[]> {
  // TypeORM's postgres query runner resolves connect() with the pg client it holds (a pooled
  // client, connected once per runner); PostgresQueryRunner.query uses the same.
  const client = (await runner.connect()) as PgClient;
  const logger = runner.connection.logger;
  const parameters = values as unknown[];
  logger.logQuery(statement.text, parameters, runner);
  const started = Date.now();
  try {
    const result = await client.query({ name: statement.name, text: statement.text, values });
    const elapsed = Date.now() - started;
    const slowAfter = runner.connection.options.maxQueryExecutionTime;
    if (slowAfter && elapsed > slowAfter) logger.logQuerySlow(elapsed, statement.text, parameters, runner);
    return result.rows as Row[];
  } catch (error) {
    logger.logQueryError(error as Error, statement.text, parameters, runner);
    throw new QueryFailedError(statement.text, parameters, error as Error);
  }
}
