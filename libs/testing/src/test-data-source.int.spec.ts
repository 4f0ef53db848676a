import { openPostgresDataSource, postgresDataSourceOptions } from '@relay/service-runtime';
import { integrationEnv, uniqueName } from './integration-env';
import { openTestDataSource } from './test-data-source';

describe('service data sources against real PostgreSQL', () => {
  const schema = uniqueName('it_statements');
  let dataSource: Awaited<ReturnType<typeof openTestDataSource>>;

  beforeAll(async () => {
    dataSource = await openTestDataSource(integrationEnv().databaseUrl, schema, { entities: [], migrations: [] });
  });

  afterAll(async () => {
    await dataSource?.drop();
  });

  it('prepares a parameterised statement once per connection and reuses it', async () => {
    const statement = `SELECT $1::int + 1 AS next /* ${schema} */`;
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      expect(await runner.query(statement, [1])).toEqual([{ next: 2 }]);
      expect(await runner.query(statement, [41])).toEqual([{ next: 42 }]);
      const prepared = await runner.query(`SELECT name FROM pg_prepared_statements WHERE statement = $1`, [statement]);
      expect(prepared).toHaveLength(1);
      expect(prepared[0].name).toMatch(/^relay_/);
      // Statements without parameters are not prepared.
      await runner.query(`SELECT 1 AS one /* ${schema} */`);
      expect(await runner.query(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE $1`, [`SELECT 1 AS one%`])).toEqual([{ n: 0 }]);
    } finally {
      await runner.release();
    }
  });

  it('keeps prepared statements correct in transactions that roll back and after errors', async () => {
    const insert = `INSERT INTO "${schema}".notes (body) VALUES ($1) RETURNING id`;
    await dataSource.query(`CREATE TABLE "${schema}".notes (id serial PRIMARY KEY, body text NOT NULL UNIQUE)`);
    await dataSource.query(insert, ['first']);
    await expect(dataSource.query(insert, ['first'])).rejects.toThrow(/duplicate key/);
    await expect(
      dataSource.transaction(async (manager) => {
        await manager.query(insert, ['rolled back']);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await dataSource.query(insert, ['second']);
    expect(await dataSource.query(`SELECT body FROM "${schema}".notes ORDER BY id`)).toEqual([{ body: 'first' }, { body: 'second' }]);
  });

  it('sends statements unnamed with preparedStatements: false (DATABASE_PREPARED_STATEMENTS=off)', async () => {
    const plainSchema = uniqueName('it_unprepared');
    const options = postgresDataSourceOptions(
      { url: integrationEnv().databaseUrl, schema: plainSchema, applicationName: `test-${plainSchema}`, poolSize: 2, preparedStatements: false },
      { entities: [], migrations: [] },
    );
    const plain = await openPostgresDataSource(options, plainSchema);
    const runner = plain.createQueryRunner();
    await runner.connect();
    try {
      const statement = `SELECT $1::int * 2 AS twice /* ${plainSchema} */`;
      expect(await runner.query(statement, [21])).toEqual([{ twice: 42 }]);
      expect(await runner.query(statement, [4])).toEqual([{ twice: 8 }]);
      expect(await runner.query(`SELECT count(*)::int AS n FROM pg_prepared_statements`)).toEqual([{ n: 0 }]);
    } finally {
      await runner.release();
      await plain.query(`DROP SCHEMA IF EXISTS "${plainSchema}" CASCADE`);
      await plain.destroy();
    }
  });
});
