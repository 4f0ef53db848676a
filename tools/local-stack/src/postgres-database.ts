import { Client } from 'pg';
import { hasErrorCode } from './postgres-errors';

/** Creates `databaseName` on the server if it is missing (safe to race); returns a URL pointing at it. */
export async function ensureDatabase(serverUrl: string, databaseName: string): Promise<string> {
  // The maintenance database always exists, unlike whatever database serverUrl names.
  const client = new Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  // Without a listener a server-side disconnect would be an uncaught 'error' event; the query rejects anyway.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [databaseName]);
    if (found.rowCount === 0) {
      try {
        await client.query(`create database ${quoteIdentifier(databaseName)}`);
      } catch (error) {
        // 42P04: created meanwhile; 23505: lost a race on pg_database's unique index.
        if (!hasErrorCode(error, '42P04') && !hasErrorCode(error, '23505')) throw error;
      }
    }
  } finally {
    await client.end();
  }
  return withDatabase(serverUrl, databaseName);
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
