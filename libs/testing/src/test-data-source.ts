import { DataSource } from 'typeorm';
import { openPostgresDataSource, postgresDataSourceOptions } from '@relay/service-runtime';

type Persistence = Parameters<typeof postgresDataSourceOptions>[1];

/** A migrated data source in a throw-away schema; `drop()` removes the schema and closes it. */
export async function openTestDataSource(databaseUrl: string, schema: string, persistence: Persistence): Promise<DataSource & { drop(): Promise<void> }> {
  const options = postgresDataSourceOptions({ url: databaseUrl, schema, applicationName: `test-${schema}`, poolSize: 5 }, persistence);
  const dataSource = await openPostgresDataSource(options, schema);
  return Object.assign(dataSource, {
    drop: async () => {
      await dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await dataSource.destroy();
    },
  });
}
