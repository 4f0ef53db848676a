import { DataSource } from 'typeorm';
import { openPostgresDataSource, postgresDataSourceOptions } from '@relay/service-runtime';

type Persistence = Parameters<typeof postgresDataSourceOptions>[1];

/**
 * A migrated data source in a throw-away schema; `drop()` removes the schema, its WAL outbox slot if
 * a test made one (an idle slot keeps WAL without bound), and closes it.
 */
export async function openTestDataSource(databaseUrl: string, schema: string, persistence: Persistence): Promise<DataSource & { drop(): Promise<void> }> {
  const options = postgresDataSourceOptions({ url: databaseUrl, schema, applicationName: `test-${schema}`, poolSize: 5 }, persistence);
  const dataSource = await openPostgresDataSource(options, schema);
  return Object.assign(dataSource, {
    drop: async () => {
      await dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await dataSource.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active`, [`relay_outbox_${schema}`]);
      await dataSource.destroy();
    },
  });
}
