import { Client } from 'pg';

export interface SessionView {
  pid: number;
  application: string;
  state: string | null;
  waitEvent: string | null;
  transactionAgeSeconds: number | null;
  blockedBy: number[];
  query: string;
}

/**
 * Diagnostics only (the scenarios judge through HTTP, Kafka and the audit): the database sessions of
 * `application` (its pool) and of its outbox relay in `schema` (`<schema>-outbox-relay`, or
 * `<schema>-wal-outbox-relay` with the WAL outbox) that sit
 * in an open transaction or wait for a lock, and who blocks them. Tells a frozen process's open
 * transaction from a slow machine when a fault scenario stalls.
 */
export async function stuckSessions(databaseUrl: string, application: string, schema: string): Promise<SessionView[]> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'e2e-fault-diagnostics' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number; application_name: string; state: string | null; wait: string | null; age: number | null; blocked_by: number[]; query: string }>(
      `SELECT pid, application_name, state, wait_event_type || ':' || wait_event AS wait,
              EXTRACT(EPOCH FROM now() - xact_start)::float AS age, pg_blocking_pids(pid) AS blocked_by, left(query, 160) AS query
       FROM pg_stat_activity
       WHERE application_name IN ($1, $2 || '-outbox-relay', $2 || '-wal-outbox-relay') AND (state LIKE 'idle in transaction%' OR wait_event_type = 'Lock')
       ORDER BY xact_start`,
      [application, schema],
    );
    return rows.map((row) => ({
      pid: row.pid,
      application: row.application_name,
      state: row.state,
      waitEvent: row.wait,
      transactionAgeSeconds: row.age === null ? null : Math.round(row.age * 10) / 10,
      blockedBy: row.blocked_by,
      query: row.query,
    }));
  } finally {
    await client.end().catch(() => undefined);
  }
}
