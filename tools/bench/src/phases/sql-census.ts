import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BENCH_SKUS } from '../events';
import { runLoad } from '../load/run-load';
import { BenchPlan } from '../options';
import { Pipeline, waitForDrain } from '../pipeline';
import { progress } from '../progress';
import { BenchStack } from '../stack';
import { round } from '../stats';

export interface SqlCensus {
  orders: number;
  /** Statements per order, by PostgreSQL application_name (the services set theirs). */
  statementsPerOrder: Record<string, number>;
  totalPerOrder: number;
  /** The most frequent statement shapes, per order. */
  topStatements: Array<{ application: string; statement: string; perOrder: number }>;
}

/** "INSERT INTO "outbox"(…" → "INSERT outbox"; "SELECT … FROM "stock_items" … FOR UPDATE" → "SELECT stock_items FOR UPDATE". */
export function shapeOf(sql: string): string {
  const text = sql.replace(/\s+/g, ' ').trim();
  const table = (pattern: RegExp) => pattern.exec(text)?.[1]?.replace(/"/g, '') ?? '?';
  if (/^(START TRANSACTION|BEGIN)/i.test(text)) return 'BEGIN';
  if (/^(COMMIT|ROLLBACK)/i.test(text)) return text.split(' ')[0].toUpperCase();
  if (/pg_notify/i.test(text)) return 'SELECT pg_notify';
  if (/^INSERT/i.test(text)) return `INSERT ${table(/INTO\s+("?[\w.]+"?)/i)}${/ON CONFLICT/i.test(text) ? ' ON CONFLICT' : ''}`;
  if (/^UPDATE/i.test(text)) return `UPDATE ${table(/^UPDATE\s+("?[\w.]+"?)/i)}`;
  if (/^DELETE/i.test(text)) return `DELETE ${table(/FROM\s+("?[\w.]+"?)/i)}`;
  if (/^SELECT/i.test(text)) return `SELECT ${table(/FROM\s+("?[\w.]+"?)/i)}${/FOR UPDATE/i.test(text) ? ' FOR UPDATE' : ''}`;
  return text.split(' ').slice(0, 2).join(' ');
}

/**
 * Counts the SQL statements each service sends per order: PostgreSQL logs every statement
 * (log_statement = all, switched on with ALTER SYSTEM for this phase only) while a small, drained
 * load runs. Needs the bench's own PostgreSQL (its log file sits next to the data directory).
 */
export async function runSqlCensus(stack: BenchStack, pipeline: Pipeline, plan: BenchPlan): Promise<SqlCensus> {
  if (stack.external) throw new Error('the SQL census needs the PostgreSQL the bench starts (it reads its log file)');
  const dataDir = (await stack.db.query<{ d: string }>(`SELECT current_setting('data_directory') AS d`)).rows[0].d;
  const logFile = path.join(path.dirname(dataDir), 'postgres.log');
  await waitForDrain(stack, pipeline, plan.drainTimeoutSeconds, 'census pre-drain');
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
  const counts = new Map<string, number>();
  const shapes = new Map<string, number>();
  for (const line of log.split('\n')) {
    const match = /app=(\S*) LOG:\s+(?:statement|execute [^:]*):\s*(.*)$/.exec(line);
    if (!match) continue;
    const application = match[1] || '(none)';
    if (application === 'relay-bench') continue;
    counts.set(application, (counts.get(application) ?? 0) + 1);
    const key = `${application}|${shapeOf(match[2])}`;
    shapes.set(key, (shapes.get(key) ?? 0) + 1);
  }
  const perOrder = (n: number) => (orders > 0 ? round(n / orders, 2) : 0);
  const statementsPerOrder = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]).map(([app, n]) => [app, perOrder(n)]));
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
  };
}
