import { Client } from 'pg';
import { redact } from './config';
import { OpsError } from './errors';

export type Db = Pick<Client, 'query'>;

/** One connection for the length of `work`. */
export async function withDatabase<T>(databaseUrl: string, work: (db: Db) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'relay-ops', connectionTimeoutMillis: 10_000 });
  // An idle connection that breaks is reported by the query that uses it, not as a crash.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new OpsError(`cannot connect to PostgreSQL at ${redact(databaseUrl)}: ${(error as Error).message || (error as NodeJS.ErrnoException).code}`);
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `"schema"."table"`, for schema names already checked by schemaFlag. */
export const table = (schema: string, name: string): string => `"${schema.replace(/"/g, '""')}"."${name}"`;

/** Fails with a message naming the flag when a schema or one of its tables is missing. */
export async function requireTables(db: Db, schema: string, tables: string[], flag: string): Promise<void> {
  const { rows } = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name = ANY($2::text[])`,
    [schema, tables],
  );
  const present = new Set(rows.map((row) => row.table_name));
  const missing = tables.filter((name) => !present.has(name));
  if (missing.length === tables.length) {
    throw new OpsError(`schema "${schema}" has none of the tables ${tables.join(', ')}: is --${flag} right (and has the service started once)?`);
  }
  if (missing.length > 0) throw new OpsError(`schema "${schema}" (--${flag}) has no table ${missing.join(', ')}`);
}
