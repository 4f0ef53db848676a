import { EntityManager, QueryFailedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { preparedStatement, queryPrepared } from './prepared-statement';

/** A manager over a fake pg client, with or without a transaction's query runner. */
function fakeManager(options: { inTransaction: boolean; released?: boolean; result?: unknown; error?: Error }) {
  const client = { query: jest.fn(async () => (options.error ? Promise.reject(options.error) : options.result)) };
  const logger = { logQuery: jest.fn(), logQueryError: jest.fn(), logQuerySlow: jest.fn() };
  const connection = { logger, options: {} };
  const runner = { isReleased: options.released ?? false, connection, connect: jest.fn(async () => client), release: jest.fn(async () => undefined) };
  const dataSource = { createQueryRunner: jest.fn(() => runner) };
  const manager = { queryRunner: options.inTransaction ? runner : undefined, dataSource } as unknown as EntityManager;
  return { manager, client, runner, dataSource, logger };
}

describe('preparedStatement', () => {
  it('names a text by its hash: stable, distinct for distinct texts, within PostgreSQL 63-byte names', () => {
    const lock = preparedStatement('SELECT 1 FROM t WHERE id = $1 FOR UPDATE');
    expect(preparedStatement('SELECT 1 FROM t WHERE id = $1 FOR UPDATE')).toEqual(lock);
    expect(lock.name).toMatch(/^relay_[0-9a-f]{40}$/);
    expect(lock.name.length).toBeLessThanOrEqual(63);
    // One character apart (whitespace included) is another statement, so another name: pg refuses
    // a name it prepared for a different text.
    expect(preparedStatement('SELECT 1 FROM t WHERE id = $1  FOR UPDATE').name).not.toBe(lock.name);
    expect(preparedStatement('SELECT 1 FROM t WHERE id = $2 FOR UPDATE').name).not.toBe(lock.name);
  });
});

describe('queryPrepared', () => {
  const statement = preparedStatement('UPDATE t SET x = $2 WHERE id = $1 RETURNING id');

  it("runs the statement by name on the transaction's connection and returns the rows, even of an UPDATE", async () => {
    const { manager, client, dataSource, runner, logger } = fakeManager({ inTransaction: true, result: { command: 'UPDATE', rows: [{ id: 'a' }], rowCount: 1 } });
    await expect(queryPrepared(manager, statement, ['a', 2])).resolves.toEqual([{ id: 'a' }]);
    expect(client.query).toHaveBeenCalledWith({ name: statement.name, text: statement.text, values: ['a', 2] });
    expect(dataSource.createQueryRunner).not.toHaveBeenCalled();
    // The transaction's connection stays with the transaction.
    expect(runner.release).not.toHaveBeenCalled();
    expect(logger.logQuery).toHaveBeenCalledWith(statement.text, ['a', 2], runner);
  });

  it('outside a transaction takes a pooled connection for the statement and gives it back', async () => {
    const { manager, client, dataSource, runner } = fakeManager({ inTransaction: false, result: { command: 'SELECT', rows: [], rowCount: 0 } });
    await expect(queryPrepared(manager, statement, ['a', 2])).resolves.toEqual([]);
    expect(dataSource.createQueryRunner).toHaveBeenCalledTimes(1);
    expect(client.query).toHaveBeenCalledTimes(1);
    expect(runner.release).toHaveBeenCalledTimes(1);
  });

  it("throws TypeORM's QueryFailedError carrying PostgreSQL's code, so retries classify it as before", async () => {
    const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    const { manager, runner, logger } = fakeManager({ inTransaction: false, error: deadlock });
    const failure = await queryPrepared(manager, statement, ['a', 2]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(QueryFailedError);
    expect(failure).toMatchObject({ code: '40P01', driverError: deadlock, query: statement.text, parameters: ['a', 2] });
    expect(logger.logQueryError).toHaveBeenCalledWith(deadlock, statement.text, ['a', 2], runner);
    expect(runner.release).toHaveBeenCalledTimes(1);
  });

  it('refuses a transaction whose query runner was released, as manager.query does', async () => {
    const { manager, client } = fakeManager({ inTransaction: true, released: true });
    await expect(queryPrepared(manager, statement, ['a', 2])).rejects.toBeInstanceOf(QueryRunnerProviderAlreadyReleasedError);
    expect(client.query).not.toHaveBeenCalled();
  });
});
