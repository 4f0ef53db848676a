import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Client } from 'pg';
import { signal } from './processes';

export interface OpenTransaction {
  /** PostgreSQL backend pid of the frozen process's session. */
  backendPid: number;
  clientPort: number;
  state: string | null;
  transactionAgeMs: number;
  query: string;
}

/** Local TCP ports of the sockets a process holds open (Linux /proc). */
function localPortsOf(pid: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // Closed meanwhile.
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 9 && inodes.has(fields[9])) ports.add(Number.parseInt(fields[1].split(':')[1], 16));
    }
  }
  return ports;
}

/**
 * Freezes `pid` (SIGSTOP) at a moment it has a database transaction open that has written to
 * `table` (for a consumer: `consumer_positions`, i.e. it has locked its partition's position and is
 * applying events),
 * the worst moment for a consumer to become a zombie: its session keeps the transaction's locks
 * while the group moves on. Tries again (SIGCONT, SIGSTOP) until the stopped process is caught in
 * such a transaction; throws if that never happens. The process is left stopped; the caller must
 * SIGCONT it.
 */
export async function freezeInsideTransaction(pid: number, databaseUrl: string, table = 'consumer_positions', attempts = 300): Promise<OpenTransaction[]> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'e2e-fault-freeze' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (!signal(pid, 'SIGSTOP')) throw new Error(`process ${pid} is gone`);
      const ports = [...localPortsOf(pid)];
      const { rows } = await client.query<{ pid: number; client_port: number; state: string | null; age_ms: number; query: string }>(
        `SELECT a.pid, a.client_port, a.state, EXTRACT(EPOCH FROM now() - a.xact_start)::float * 1000 AS age_ms, left(a.query, 160) AS query
         FROM pg_stat_activity a
         WHERE a.client_port = ANY($1::int[]) AND a.backend_xid IS NOT NULL
           AND EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.pid = a.pid AND l.granted AND c.relname = $2)`,
        [ports, table],
      );
      if (rows.length > 0) {
        return rows.map((row) => ({ backendPid: row.pid, clientPort: row.client_port, state: row.state, transactionAgeMs: Math.round(row.age_ms), query: row.query }));
      }
      signal(pid, 'SIGCONT');
    }
    throw new Error(`process ${pid} was never caught inside a transaction that wrote to ${table} in ${attempts} attempts`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
