import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BENCH_SKUS } from '../events';
import { runLoad } from '../load/run-load';
import { BenchPlan } from '../options';
import { Pipeline, waitForDrain } from '../pipeline';
import { progress } from '../progress';
import { BenchStack } from '../stack';
import { round, sleep } from '../stats';

/** Rows one table had written per order during the census (UPDATEs and DELETEs are writes too). */
export interface TableWritesPerOrder {
  /** The schema without the run's prefix: `orders`, `inventory`, `delivery`. */
  schema: string;
  table: string;
  inserted: number;
  updated: number;
  deleted: number;
}

export interface SqlCensus {
  orders: number;
  /** Statements per order, by PostgreSQL application_name (the services set theirs). */
  statementsPerOrder: Record<string, number>;
  totalPerOrder: number;
  /** The most frequent statement shapes, per order. */
  topStatements: Array<{ application: string; statement: string; perOrder: number }>;
  /** Rows written per order by table (pg_stat_user_tables), tables with no write left out. */
  rowsPerOrder: TableWritesPerOrder[];
  /** Rows inserted, updated and deleted per order, all tables together. */
  rowsWrittenPerOrder: number;
  /** WAL written per order (the whole server's, from the WAL position before and after), in bytes. */
  walBytesPerOrder: number;
}

/**
 * "INSERT INTO "outbox"(…" → "INSERT outbox"; "SELECT … FROM "stock_items" … FOR UPDATE" → "SELECT
 * stock_items FOR UPDATE"; a SELECT of no table by the function it calls ("SELECT
 * pg_replication_slot_advance"); a statement with data-modifying CTEs by what each writes, in order:
 * "WITH INSERT orders, INSERT order_lines, …"; the WAL outbox's "WITH pg_logical_emit_message,
 * pg_notify"; several statements sent as one query by each of them, joined with "; ".
 */
export function shapeOf(sql: string): string {
  const text = sql.replace(/\s+/g, ' ').trim();
  const statements = text.split(/;\s*(?=(?:BEGIN|COMMIT|ROLLBACK|SELECT|INSERT|UPDATE|DELETE|WITH)\b)/i).filter((statement) => statement.trim() !== '');
  if (statements.length > 1) return statements.map(shapeOf).join('; ');
  const table = (pattern: RegExp) => pattern.exec(text)?.[1]?.replace(/"/g, '');
  if (/^(START TRANSACTION|BEGIN)/i.test(text)) return 'BEGIN';
  if (/^(COMMIT|ROLLBACK)/i.test(text)) return text.split(' ')[0].toUpperCase().replace(/;$/, '');
  if (/^WITH /i.test(text)) {
    const parts = [...text.matchAll(/\b(INSERT INTO|(?<!\b(?:DO|FOR|KEY) )UPDATE|DELETE FROM)\s+("?[\w.]+"?)|\b(pg_logical_emit_message|pg_notify)\(/gi)].map((match) =>
      match[3] ? match[3].toLowerCase() : `${match[1].split(' ')[0].toUpperCase()} ${match[2].replace(/"/g, '')}`,
    );
    if (parts.length > 0) return `WITH ${parts.join(', ')}`;
  }
  if (/pg_logical_emit_message/i.test(text)) return 'SELECT pg_logical_emit_message';
  if (/pg_notify/i.test(text)) return 'SELECT pg_notify';
  if (/^INSERT/i.test(text)) return `INSERT ${table(/INTO\s+("?[\w.]+"?)/i) ?? '?'}${/ON CONFLICT/i.test(text) ? ' ON CONFLICT' : ''}`;
  if (/^UPDATE/i.test(text)) return `UPDATE ${table(/^UPDATE\s+("?[\w.]+"?)/i) ?? '?'}`;
  if (/^DELETE/i.test(text)) return `DELETE ${table(/FROM\s+("?[\w.]+"?)/i) ?? '?'}`;
  if (/^SELECT/i.test(text)) return `SELECT ${table(/FROM\s+("?[\w.]+"?)/i) ?? table(/^SELECT\s+([\w.]+)\(/i) ?? '?'}${/FOR UPDATE/i.test(text) ? ' FOR UPDATE' : ''}`;
  return text.split(' ').slice(0, 2).join(' ');
}

/** Rows written so far per table of the run's schemas (PostgreSQL's cumulative statistics). */
async function tableWrites(stack: BenchStack): Promise<Map<string, { inserted: number; updated: number; deleted: number }>> {
  const prefix = stack.schemaFor('');
  const result = await stack.db.query<{ schema: string; table: string; inserted: string; updated: string; deleted: string }>(
    `SELECT schemaname AS schema, relname AS table, n_tup_ins AS inserted, n_tup_upd AS updated, n_tup_del AS deleted
       FROM pg_stat_user_tables WHERE starts_with(schemaname, $1)`,
    [prefix],
  );
  return new Map(
    result.rows.map((row) => [`${row.schema.slice(prefix.length)}.${row.table}`, { inserted: Number(row.inserted), updated: Number(row.updated), deleted: Number(row.deleted) }]),
  );
}

/** The entries of a PostgreSQL log: a message's further lines (a statement's) start with a tab. */
export function logEntries(log: string): string[] {
  const entries: string[] = [];
  for (const line of log.split('\n')) {
    if (line.startsWith('\t') && entries.length > 0) entries[entries.length - 1] += ` ${line.slice(1)}`;
    else entries.push(line);
  }
  return entries;
}

const currentWalLsn = async (stack: BenchStack): Promise<string> => (await stack.db.query<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`)).rows[0].lsn;

/**
 * A backend flushes its table statistics at most once a second, and an idle one 10 s after its
 * last transaction: waiting this long makes pg_stat_user_tables count every write made before.
 */
const STATISTICS_SETTLE_MS = 11_000;

/**
 * Counts what each service does per order while a small, drained load runs: the SQL statements it
 * sends (PostgreSQL logs every statement, log_statement = all, switched on with ALTER SYSTEM for
 * this phase only; needs the bench's own PostgreSQL, whose log file sits next to the data
 * directory), and the rows each table had written (inserted, updated, deleted: a position row
 * updated per batch is a write) and the WAL written, from PostgreSQL's statistics before and after.
 */
export async function runSqlCensus(stack: BenchStack, pipeline: Pipeline, plan: BenchPlan): Promise<SqlCensus> {
  if (stack.external) throw new Error('the SQL census needs the PostgreSQL the bench starts (it reads its log file)');
  const dataDir = (await stack.db.query<{ d: string }>(`SELECT current_setting('data_directory') AS d`)).rows[0].d;
  const logFile = path.join(path.dirname(dataDir), 'postgres.log');
  await waitForDrain(stack, pipeline, plan.drainTimeoutSeconds, 'census pre-drain');
  await progress.countdown('letting the table statistics settle', STATISTICS_SETTLE_MS, sleep(STATISTICS_SETTLE_MS));
  const writesBefore = await tableWrites(stack);
  const walBefore = await currentWalLsn(stack);
  const from = (await stat(logFile)).size;
  await stack.db.query(`ALTER SYSTEM SET log_statement = 'all'`);
  await stack.db.query(`ALTER SYSTEM SET log_line_prefix = '%m [%p] app=%a '`);
  await stack.db.query('SELECT pg_reload_conf()');
  let orders = 0;
  try {
    const rate = 20;
    const seconds = 10;
    const result = await progress.countdown(
      `${rate}/s with every statement logged`,
      seconds * 1000,
      runLoad({ url: pipeline.orders.url, path: '/orders', rate, durationMs: seconds * 1000, maxSockets: 16, skus: BENCH_SKUS, recordIds: false, requestTimeoutMs: plan.requestTimeoutMs, drainTimeoutMs: plan.loadDrainTimeoutMs }),
    );
    orders = result.ok201;
    await waitForDrain(stack, pipeline, plan.drainTimeoutSeconds, 'census drain');
  } finally {
    await stack.db.query(`ALTER SYSTEM RESET log_statement`);
    await stack.db.query(`ALTER SYSTEM RESET log_line_prefix`);
    await stack.db.query('SELECT pg_reload_conf()');
  }
  const log = (await readFile(logFile, 'utf8')).slice(from);
  const [{ wal_bytes: walBytes }] = (await stack.db.query<{ wal_bytes: string }>(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text AS wal_bytes`, [walBefore])).rows;
  await progress.countdown('letting the table statistics settle', STATISTICS_SETTLE_MS, sleep(STATISTICS_SETTLE_MS));
  const writesAfter = await tableWrites(stack);

  const counts = new Map<string, number>();
  const shapes = new Map<string, number>();
  const runPrefix = stack.schemaFor('');
  for (const entry of logEntries(log)) {
    const match = /app=(\S*) LOG:\s+(?:statement|execute [^:]*):\s*(.*)$/.exec(entry);
    if (!match) continue;
    // The relays name themselves after their schema: `orders-wal-outbox-relay` reads better.
    const application = match[1].startsWith(runPrefix) ? match[1].slice(runPrefix.length) : match[1] || '(none)';
    if (application === 'relay-bench') continue;
    counts.set(application, (counts.get(application) ?? 0) + 1);
    const key = `${application}|${shapeOf(match[2])}`;
    shapes.set(key, (shapes.get(key) ?? 0) + 1);
  }
  const perOrder = (n: number) => (orders > 0 ? round(n / orders, 2) : 0);
  const statementsPerOrder = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]).map(([app, n]) => [app, perOrder(n)]));
  const rowsPerOrder: TableWritesPerOrder[] = [];
  let rowsWritten = 0;
  for (const [key, after] of writesAfter) {
    const before = writesBefore.get(key) ?? { inserted: 0, updated: 0, deleted: 0 };
    const delta = { inserted: after.inserted - before.inserted, updated: after.updated - before.updated, deleted: after.deleted - before.deleted };
    const total = delta.inserted + delta.updated + delta.deleted;
    if (total === 0) continue;
    rowsWritten += total;
    const [schema, table] = key.split('.');
    rowsPerOrder.push({ schema, table, inserted: perOrder(delta.inserted), updated: perOrder(delta.updated), deleted: perOrder(delta.deleted) });
  }
  rowsPerOrder.sort((a, b) => a.schema.localeCompare(b.schema) || a.table.localeCompare(b.table));
  return {
    orders,
    statementsPerOrder,
    totalPerOrder: perOrder([...counts.values()].reduce((sum, n) => sum + n, 0)),
    topStatements: [...shapes]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 40)
      .map(([key, n]) => {
        const [application, statement] = key.split('|');
        return { application, statement, perOrder: perOrder(n) };
      }),
    rowsPerOrder,
    rowsWrittenPerOrder: perOrder(rowsWritten),
    walBytesPerOrder: orders > 0 ? Math.round(Number(walBytes) / orders) : 0,
  };
}
