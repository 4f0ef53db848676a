import { benchAuth } from './load/bench-auth';
import { BENCH_SKUS, BENCH_STOCK } from './events';
import { DeliveryFirstCommits, watchDeliveryFirstCommits } from './first-commits';
import { progress } from './progress';
import { BenchStack, CONSUMED_TOPICS, ServiceHandle } from './stack';
import { sleep } from './stats';

/** The three services of the measured pipeline, each with its own schema and group. */
export interface Pipeline {
  orders: ServiceHandle;
  inventory: ServiceHandle;
  delivery: ServiceHandle;
}

export type Backlog = {
  inventoryLag: number;
  deliveryLag: number;
  ordersLag: number;
  ordersOutbox: number;
  inventoryOutbox: number;
  deliveryOutbox: number;
};

/**
 * Something the bench drives with POST /orders and watches drain: Relay's pipeline
 * (`pipelineFlow`) or the naive NestJS peer (phases/peer.ts). The sustained search
 * (phases/end-to-end.ts) runs the same way on either.
 */
export interface OrderFlow<K extends string = string> {
  /** Base URL of the service that takes POST /orders. */
  ordersUrl: string;
  /** The backlogs a sustained trial samples once a second and judges, with their names in verdicts. */
  watched: Record<K, string>;
  /** Where those figures come from, for the report's criteria. */
  sampledHow: string;
  sampleBacklogs(): Promise<Record<K, number | null>>;
  /** Waits until everything accepted has been processed (or the timeout passes). */
  drain(timeoutSeconds: number, step: string): Promise<DrainResult>;
  /** Starts recording delivery's first commits (first-commits.ts): before a load, closed after processedTimes. */
  watchDeliveryFirstCommits(): Promise<DeliveryFirstCommits>;
  /** When each order was processed, for orders created at or after `sinceEpochMs`. */
  processedTimes(sinceEpochMs: number, firstCommits?: DeliveryFirstCommits): Promise<ProcessedTimes>;
}

/**
 * Relay's pipeline as an OrderFlow: both consumer groups' lag as the services report it, and the two
 * outboxes that feed them. Under load only the outbox table is sampled; a WAL outbox (where the
 * services write their events when PostgreSQL decodes its WAL) is read from its slot by the drain
 * after the load only, since reading the slot meanwhile would hold up its relay.
 */
export function pipelineFlow(stack: BenchStack, pipeline: Pipeline): OrderFlow<'inventoryLag' | 'deliveryLag' | 'ordersOutbox' | 'inventoryOutbox'> {
  return {
    ordersUrl: pipeline.orders.url,
    watched: { inventoryLag: 'inventory lag', deliveryLag: 'delivery lag', ordersOutbox: 'orders outbox', inventoryOutbox: 'inventory outbox' },
    sampledHow: 'lag: GET /consumer totalLag of each service; outbox: outbox table rows not yet published (a WAL outbox is not sampled under load: the drain after the trial reads its slot)',
    sampleBacklogs: async () => {
      const [inventoryLag, deliveryLag, ordersOutbox, inventoryOutbox] = await Promise.all([
        stack.consumerLag(pipeline.inventory),
        stack.consumerLag(pipeline.delivery),
        stack.outboxBacklog(pipeline.orders.schema),
        stack.outboxBacklog(pipeline.inventory.schema),
      ]);
      return { inventoryLag, deliveryLag, ordersOutbox, inventoryOutbox };
    },
    drain: (timeoutSeconds, step) => waitForDrain(stack, pipeline, timeoutSeconds, step),
    watchDeliveryFirstCommits: () => watchDeliveryFirstCommits(stack, pipeline.delivery.schema),
    processedTimes: (since, firstCommits) => effectTimes(stack, { orders: pipeline.orders.schema, inventory: pipeline.inventory.schema, delivery: pipeline.delivery.schema }, since, firstCommits),
  };
}

export async function startPipeline(stack: BenchStack): Promise<Pipeline> {
  const specs = (['orders', 'inventory', 'delivery'] as const).map((service) => ({
    label: service,
    service,
    schema: stack.schemaFor(service),
    group: stack.groupFor(service),
  }));
  // On a shared broker the topics may hold other runs' events: fresh groups start at the end.
  for (const spec of specs) await stack.positionGroupAtEnd(spec.group, CONSUMED_TOPICS[spec.service]);
  progress.say('starting orders, inventory and delivery…');
  const [orders, inventory, delivery] = await Promise.all(specs.map((spec) => stack.startService(spec)));
  await Promise.all([orders, inventory, delivery].map((handle) => stack.waitUntilJoined(handle)));
  await seedStock(inventory);
  return { orders, inventory, delivery };
}

export async function seedStock(inventory: ServiceHandle, skus: readonly string[] = BENCH_SKUS, onHand = BENCH_STOCK): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < skus.length) {
      const sku = skus[next++];
      const response = await fetch(`${inventory.url}/stock/${sku}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...benchAuth().adminHeaders },
        body: JSON.stringify({ onHand }),
      });
      if (!response.ok) throw new Error(`PUT /stock/${sku} on ${inventory.label}: ${response.status} ${await response.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, () => worker()));
}

/**
 * Kafka lag of the three groups (measured by the bench) and the three outbox backlogs: rows of the
 * outbox table not published, plus, once everything else is 0, the events in each WAL outbox that
 * Kafka has not acknowledged (read from the schema's slot: see BenchStack.walOutboxPending, which
 * is too intrusive to run while anything else is still moving).
 */
export async function backlogOf(stack: BenchStack, pipeline: Pipeline): Promise<Backlog> {
  const [inventoryLag, deliveryLag, ordersLag, ordersOutbox, inventoryOutbox, deliveryOutbox] = await Promise.all([
    stack.groupLag(pipeline.inventory.group, CONSUMED_TOPICS.inventory),
    stack.groupLag(pipeline.delivery.group, CONSUMED_TOPICS.delivery),
    stack.groupLag(pipeline.orders.group, CONSUMED_TOPICS.orders),
    stack.outboxBacklog(pipeline.orders.schema),
    stack.outboxBacklog(pipeline.inventory.schema),
    stack.outboxBacklog(pipeline.delivery.schema),
  ]);
  const backlog = { inventoryLag, deliveryLag, ordersLag, ordersOutbox: ordersOutbox ?? 0, inventoryOutbox: inventoryOutbox ?? 0, deliveryOutbox: deliveryOutbox ?? 0 };
  if (totalBacklog(backlog) > 0) return backlog;
  const [ordersWal, inventoryWal, deliveryWal] = await Promise.all([pipeline.orders, pipeline.inventory, pipeline.delivery].map((handle) => stack.walOutboxPending(handle.schema)));
  return { ...backlog, ordersOutbox: ordersWal, inventoryOutbox: inventoryWal, deliveryOutbox: deliveryWal };
}

export const totalBacklog = (backlog: Record<string, number>): number => Object.values(backlog).reduce((sum, value) => sum + value, 0);

export interface DrainResult<B extends Record<string, number> = Record<string, number>> {
  drained: boolean;
  seconds: number;
  remaining: B;
}

/** Waits until every group has caught up and every outbox is published, or the timeout passes. */
export function waitForDrain(stack: BenchStack, pipeline: Pipeline, timeoutSeconds: number, step = 'draining'): Promise<DrainResult<Backlog>> {
  return waitUntilDrained(() => backlogOf(stack, pipeline), describeBacklog, timeoutSeconds, step);
}

/** Polls `measure` every 500 ms until every backlog in it is 0, or the timeout passes. */
export async function waitUntilDrained<B extends Record<string, number>>(
  measure: () => Promise<B>,
  describe: (backlog: B) => string,
  timeoutSeconds: number,
  step: string,
): Promise<DrainResult<B>> {
  const started = Date.now();
  let lastPrint = 0;
  for (;;) {
    const backlog = await measure();
    const seconds = (Date.now() - started) / 1000;
    if (totalBacklog(backlog) === 0) return { drained: true, seconds, remaining: backlog };
    if (seconds >= timeoutSeconds) {
      progress.step(step, `not drained after ${Math.round(seconds)} s (${describe(backlog)}); going on`);
      return { drained: false, seconds, remaining: backlog };
    }
    if (Date.now() - lastPrint > 5_000) {
      lastPrint = Date.now();
      progress.step(step, `${describe(backlog)}; up to ${Math.round(timeoutSeconds - seconds)} s more`);
    }
    await sleep(500);
  }
}

export function describeBacklog(backlog: Backlog): string {
  return `lag inventory ${backlog.inventoryLag}, delivery ${backlog.deliveryLag}, orders ${backlog.ordersLag}; outbox orders ${backlog.ordersOutbox}, inventory ${backlog.inventoryOutbox}, delivery ${backlog.deliveryOutbox}`;
}

/**
 * What the bench's "processed" times are: the commit of the consumer's transaction, or (on a
 * DATABASE_URL server without track_commit_timestamp) the start of it, as before 2026-12-08.
 */
export type ProcessedClock = 'commit' | 'transaction start';

export interface ProcessedTimes {
  /** What `inventory` and `deliveryScheduled` are (the *Start maps are always starts). */
  clock: ProcessedClock;
  /** orderId → epoch ms at which inventory's transaction that applied order-placed committed (or started: see clock). */
  inventory: Map<string, number>;
  /** What `delivery` is: first commits read from the WAL (first-commits.ts), or, without them, starts. */
  deliveryClock: ProcessedClock;
  /** Why delivery's first commits are missing, when deliveryClock is 'transaction start'. */
  deliveryFallback?: string;
  /**
   * orderId → epoch ms at which delivery's first transaction for the order (order-placed, unless
   * stock-reserved overtook it) committed, or started (deliveryClock).
   */
  delivery: Map<string, number>;
  /** orderId → epoch ms at which delivery's transaction that made the delivery SCHEDULED committed (or started: see clock). */
  deliveryScheduled: Map<string, number>;
  /** The start-of-transaction readings the bench used before, kept beside the commits for comparison. */
  inventoryStart: Map<string, number>;
  deliveryStart: Map<string, number>;
  deliveryScheduledStart: Map<string, number>;
}

/** One order's row of effectTimes' query: epoch ms, null where the effect (or its commit time) is absent. */
export interface EffectTimesRow {
  order_id: string;
  reserved_start_ms: number | null;
  reserved_commit_ms: number | null;
  delivery_start_ms: number | null;
  scheduled_start_ms: number | null;
  scheduled_commit_ms: number | null;
}

/**
 * The query behind effectTimes. With commit times, each is pg_xact_commit_timestamp of the row's
 * xmin, the transaction that wrote its current version:
 * - reservations: written once per order in the bench (its loads place orders and never cancel
 *   them; a cancellation would update the row), so xmin is the transaction that applied order-placed;
 * - deliveries: created by the first of delivery's two events for the order and updated by the
 *   second, which makes it SCHEDULED (Relay: PREPARED or PENDING, then SCHEDULED; the peer: whichever
 *   handler comes second rewrites the row), so xmin of a SCHEDULED row is delivery's last
 *   transaction for the order: exact for "SCHEDULED", but the first transaction's xid is gone from
 *   the table (first-commits.ts reads it from the WAL instead).
 */
export function effectTimesQuery(schemas: { orders: string; inventory: string; delivery: string }, clock: ProcessedClock): string {
  const epochMs = (timestamp: string) => `(extract(epoch FROM ${timestamp}) * 1000)::float8`;
  const commitMs = (row: string) => (clock === 'commit' ? epochMs(`pg_xact_commit_timestamp(${row}.xmin)`) : 'NULL::float8');
  return `SELECT o.id::text AS order_id,
            ${epochMs('r.created_at')} AS reserved_start_ms,
            ${commitMs('r')} AS reserved_commit_ms,
            ${epochMs('d.created_at')} AS delivery_start_ms,
            CASE WHEN d.status = 'SCHEDULED' THEN ${epochMs('d.updated_at')} END AS scheduled_start_ms,
            CASE WHEN d.status = 'SCHEDULED' THEN ${commitMs('d')} END AS scheduled_commit_ms
       FROM "${schemas.orders}".orders o
       LEFT JOIN "${schemas.inventory}".reservations r ON r.order_id = o.id
       LEFT JOIN "${schemas.delivery}".deliveries d ON d.order_id = o.id
      WHERE o.created_at >= to_timestamp($1::float8 / 1000)`;
}

/**
 * ProcessedTimes from effectTimes' rows and, when read, delivery's first commits. With clock
 * 'commit', an effect whose commit time is unknown (null: committed before track_commit_timestamp
 * was on, or its commit data truncated) counts as not processed rather than falling back to its
 * start unseen. Delivery's first effect falls back to its start, with the reason, when no first
 * commits were read.
 */
export function processedTimesFromRows(rows: readonly EffectTimesRow[], clock: ProcessedClock, firstCommits?: ReadonlyMap<string, number>, fallback = 'not read'): ProcessedTimes {
  const deliveryClock: ProcessedClock = clock === 'commit' && firstCommits ? 'commit' : 'transaction start';
  const times: ProcessedTimes = {
    clock,
    inventory: new Map(),
    deliveryClock,
    ...(deliveryClock === 'commit' ? {} : { deliveryFallback: clock === 'commit' ? fallback : 'track_commit_timestamp is off' }),
    delivery: new Map(),
    deliveryScheduled: new Map(),
    inventoryStart: new Map(),
    deliveryStart: new Map(),
    deliveryScheduledStart: new Map(),
  };
  const put = (map: Map<string, number>, id: string, value: number | null | undefined) => {
    if (value !== null && value !== undefined) map.set(id, Number(value));
  };
  for (const row of rows) {
    put(times.inventoryStart, row.order_id, row.reserved_start_ms);
    put(times.deliveryStart, row.order_id, row.delivery_start_ms);
    put(times.deliveryScheduledStart, row.order_id, row.scheduled_start_ms);
    put(times.inventory, row.order_id, clock === 'commit' ? row.reserved_commit_ms : row.reserved_start_ms);
    put(times.delivery, row.order_id, deliveryClock === 'commit' ? firstCommits!.get(row.order_id) : row.delivery_start_ms);
    put(times.deliveryScheduled, row.order_id, clock === 'commit' ? row.scheduled_commit_ms : row.scheduled_start_ms);
  }
  return times;
}

/** Said once per run: a server without commit times. */
let warnedNoCommitTimes = false;

/**
 * When each order was processed, read from the effects the consumers wrote in the transaction that
 * applied the event (see effectTimesQuery), joined with the orders placed at or after `since`
 * (their created_at, a second early). "Processed" is the commit of that transaction when the server
 * keeps commit times (the bench's own PostgreSQL runs with track_commit_timestamp on:
 * BENCH_POSTGRES_SETTINGS); a DATABASE_URL server without it gives the start of the transaction
 * (now(), the row's time stamps), which understates the latency by the transaction's duration
 * (29-45 ms p50 at 100 orders/s, traced on 2026-12-08), and the results say so (clock).
 * Delivery's first commit comes from `firstCommits`, started before the load (first-commits.ts).
 * Relay's services and the peer write the same tables, so one reading serves both.
 */
export async function effectTimes(stack: BenchStack, schemas: { orders: string; inventory: string; delivery: string }, sinceEpochMs: number, firstCommits?: DeliveryFirstCommits): Promise<ProcessedTimes> {
  const setting = await stack.db.query<{ on: boolean }>(`SELECT current_setting('track_commit_timestamp') = 'on' AS on`);
  const clock: ProcessedClock = setting.rows[0]?.on ? 'commit' : 'transaction start';
  if (clock !== 'commit' && !warnedNoCommitTimes) {
    warnedNoCommitTimes = true;
    progress.say('this PostgreSQL has track_commit_timestamp off: end-to-end latencies end at the START of the consumer transactions, not their commits (the report says so)');
  }
  const result = await stack.db.query<EffectTimesRow>(effectTimesQuery(schemas, clock), [sinceEpochMs - 1_000]);
  const first = await firstCommits?.read().catch((error: unknown) => {
    progress.say(`reading delivery's first commits: ${(error as Error).message}; "→ delivery" falls back to transaction starts`);
    return undefined;
  });
  return processedTimesFromRows(result.rows, clock, first, firstCommits?.unavailable ?? (first ? undefined : 'not read (see the progress log)'));
}
