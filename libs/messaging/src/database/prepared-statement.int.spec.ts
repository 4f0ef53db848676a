import { QueryFailedError, QueryRunner } from 'typeorm';
import { integrationEnv, openTestDataSource, uniqueName } from '@relay/testing';
import { isDatabaseUnavailable } from '@relay/service-runtime';
import { preparedStatement, queryPrepared } from './prepared-statement';

jest.setTimeout(60_000);

describe('prepared statements on real PostgreSQL', () => {
  const env = integrationEnv();
  let dataSource: Awaited<ReturnType<typeof openTestDataSource>>;
  let runner: QueryRunner;

  const insert = preparedStatement(`INSERT INTO items (id, label) SELECT id, label FROM unnest($1::int[], $2::text[]) AS input(id, label) RETURNING id, label`);
  const rename = preparedStatement(`UPDATE items SET label = $2 WHERE id = $1 RETURNING id, label`);

  beforeAll(async () => {
    dataSource = await openTestDataSource(env.databaseUrl, uniqueName('it_prepared'), { entities: [], migrations: [] });
    await dataSource.query('CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)');
    // One connection held for the whole spec, to see what is prepared on it.
    runner = dataSource.createQueryRunner();
    await runner.connect();
  });

  afterAll(async () => {
    await runner?.release();
    await dataSource?.drop();
  });

  async function preparedOnRunner(): Promise<Map<string, number>> {
    const rows: { name: string; executions: string }[] = await runner.query(
      `SELECT name, (generic_plans + custom_plans)::text AS executions FROM pg_prepared_statements WHERE name LIKE 'relay\\_%'`,
    );
    return new Map(rows.map((row) => [row.name, Number(row.executions)]));
  }

  it("prepares once per connection, then runs by name; returns the rows of INSERT and UPDATE … RETURNING as manager.query's", async () => {
    await runner.startTransaction();
    expect(await queryPrepared(runner.manager, insert, [[1, 2], ['one', 'two']])).toEqual([
      { id: 1, label: 'one' },
      { id: 2, label: 'two' },
    ]);
    expect(await queryPrepared(runner.manager, insert, [[3], ['three']])).toEqual([{ id: 3, label: 'three' }]);
    expect(await queryPrepared(runner.manager, rename, [2, 'deux'])).toEqual([{ id: 2, label: 'deux' }]);
    await runner.commitTransaction();
    const prepared = await preparedOnRunner();
    expect(prepared.get(insert.name)).toBe(2);
    expect(prepared.get(rename.name)).toBe(1);
    // manager.query gives the same rows for a statement whose outer command is not UPDATE/DELETE.
    expect(await runner.manager.query(insert.text, [[4], ['four']])).toEqual(await queryPrepared(runner.manager, rename, [4, 'four']));
  });

  it("fails with TypeORM's QueryFailedError and PostgreSQL's code; the connection and its statements stay usable", async () => {
    await runner.startTransaction();
    const failure = await queryPrepared(runner.manager, insert, [[1], ['again']]).catch((error: unknown) => error);
    await runner.rollbackTransaction();
    expect(failure).toBeInstanceOf(QueryFailedError);
    expect(failure).toMatchObject({ code: '23505' });
    expect(isDatabaseUnavailable(failure)).toBe(false);
    await runner.startTransaction();
    expect(await queryPrepared(runner.manager, rename, [1, 'un'])).toEqual([{ id: 1, label: 'un' }]);
    await runner.commitTransaction();
  });

  it('a statement first met in an aborted transaction is prepared on the next use (its failed Parse is forgotten)', async () => {
    const count = preparedStatement(`SELECT count(*)::int AS n FROM items WHERE id >= $1`);
    await runner.startTransaction();
    await runner.query('SELECT 1/0').catch(() => undefined);
    await expect(queryPrepared(runner.manager, count, [0])).rejects.toMatchObject({ code: '25P02' });
    await runner.rollbackTransaction();
    expect((await preparedOnRunner()).has(count.name)).toBe(false);
    expect(await queryPrepared(runner.manager, count, [0])).toEqual([{ n: 4 }]);
    expect((await preparedOnRunner()).get(count.name)).toBe(1);
  });

  it('outside a transaction runs on a pooled connection', async () => {
    expect(await queryPrepared(dataSource.manager, preparedStatement(`SELECT label FROM items WHERE id = $1`), [3])).toEqual([{ label: 'three' }]);
  });
});
