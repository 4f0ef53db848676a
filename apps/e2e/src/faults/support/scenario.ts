import { Stack } from '../../support/stack';
import { ConsumerStatusBody, getStock, OrderBody, setStock, skuFor, waitUntilCaughtUp } from '../../support/api';
import { getJson, HttpResponse } from '../../support/http';
import { waitFor } from '@relay/testing';
import { OrderLoader, LoaderSummary } from './order-loader';
import { AuditReport, runAudit } from './ops';
import { FaultResults, ScenarioResult } from './results';

/** Everything a fault file shares between its scenarios. */
export interface FaultRig {
  stack: Stack;
  /** The Kafka and PostgreSQL the stack runs on (the file's own ones for the infrastructure faults). */
  kafkaBrokers: string;
  databaseUrl: string;
  /** Other stacks publish to the same topics (the suite's shared broker). */
  sharedTopic: boolean;
  results: FaultResults;
  /**
   * Puts the stack back as the next scenario expects it (called after each scenario, passed or
   * failed): leftover armed or extra processes gone, every app of the stack running.
   */
  restore?: () => Promise<void>;
}

export const DEFAULT_RATE = 20;
/** Orders each scenario places at least (a few hundred): the load goes on after the heal until then. */
export const MIN_ORDERS = 200;
/** Generous: the machine is small and other work may run on it. */
export const RECOVERY_TIMEOUT_MS = 150_000;
const STOCK = 1_000_000;

interface OrdersPage {
  orders: OrderBody[];
  nextCursor: string | null;
}

/** Every order of a customer, all pages. */
export async function listCustomerOrders(ordersUrl: string, customerId: string, status?: string): Promise<OrderBody[]> {
  const all: OrderBody[] = [];
  let cursor: string | null = null;
  do {
    const query: URLSearchParams = new URLSearchParams({ customerId, limit: '100', ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) });
    const response: HttpResponse<OrdersPage> = await getJson<OrdersPage>(`${ordersUrl}/orders?${query}`);
    if (response.status !== 200) throw new Error(`GET /orders?${query}: HTTP ${response.status} ${response.text.slice(0, 300)}`);
    all.push(...response.body.orders);
    cursor = response.body.nextCursor;
  } while (cursor);
  return all;
}

/** First line of an error, for the results table. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0].slice(0, 400);
}

/**
 * One scenario under load: a fresh SKU with plenty of stock, a loader placing orders for one
 * customer, the moments the fault was injected and healed, and the oracle at the end.
 */
export class ScenarioRun {
  readonly loader: OrderLoader;
  readonly sku: string;
  readonly customerId: string;
  faultAt: number | undefined;
  healedAt: number | undefined;
  loadStoppedAt: number | undefined;
  recoveredAt: number | undefined;
  onHand = STOCK;
  private readonly startedAt = Date.now();
  readonly timeline: string[] = [];

  constructor(
    readonly rig: FaultRig,
    readonly result: ScenarioResult,
    readonly rate: number,
  ) {
    this.sku = skuFor(rig.stack, `F${result.id}`);
    this.customerId = `fault-${result.id}-${rig.stack.suffix}`.slice(0, 100);
    this.loader = new OrderLoader({
      ordersUrl: rig.stack.orders.url,
      ratePerSecond: rate,
      customerId: this.customerId,
      token: () => rig.stack.tokens.customer(this.customerId),
      keyPrefix: `fault-${result.id}-${rig.stack.suffix}`,
      // 1, 2 or 3 units: the stock check then proves each order was reserved exactly once.
      items: (n) => [{ sku: this.sku, quantity: (n % 3) + 1 }],
    });
  }

  /** Stocks the SKU and waits until every group has worked through what is already on its topics. */
  async prepare(): Promise<void> {
    const { stack } = this.rig;
    this.onHand = (await setStock(stack, this.sku, STOCK)).onHand;
    await Promise.all([stack.orders, stack.inventory, stack.delivery].map((app) => waitUntilCaughtUp(app, 180_000)));
    this.note(`prepared: ${this.sku} stocked, every group caught up`);
  }

  start(): void {
    this.loader.start();
    this.note(`loader started at ${this.rate} orders/s`);
  }

  /** A timestamped line on stderr (progress while the suite runs) and in the results' timeline. */
  note(message: string): void {
    const line = `+${((Date.now() - this.startedAt) / 1_000).toFixed(1)}s ${message}`;
    this.timeline.push(line);
    process.stderr.write(`[fault ${this.result.id}] ${line}\n`);
  }

  async waitForPlaced(count: number, timeoutMs = 60_000, description = `${count} orders placed`): Promise<void> {
    await waitFor(() => this.loader.placed().length >= count, { timeoutMs, intervalMs: 50, description }).catch((error: unknown) => {
      throw new Error(`${firstLine(error)} (loader now: ${JSON.stringify(this.loader.summary())})`);
    });
  }

  fault(what: string, at = Date.now()): void {
    this.faultAt = at;
    this.note(`fault: ${what} (${this.loader.placed().length} placed so far)`);
  }

  healed(what: string, at = Date.now()): void {
    this.healedAt = at;
    if (this.faultAt !== undefined) this.result.faultMs = at - this.faultAt;
    this.note(`healed: ${what}`);
  }

  /**
   * After the heal: keeps loading until `postHealOrders` more orders got a 201 (the system takes
   * orders again) and at least `minOrders` in all, stops the loader and waits for every request to
   * settle, then waits until every group is at lag 0 and every placed order is final. Records:
   * - recovery: heal → every order accepted before the heal is final (the backlog the fault left
   *   is worked off, while new orders keep coming);
   * - lag 0: heal → every group at lag 0 and every order final, the loader stopped (this includes
   *   the post-heal load window);
   * - drain: loader stopped → every group at lag 0 and every order final.
   */
  async settle(options: { postHealOrders?: number; minOrders?: number; consumerUrls?: string[] } = {}): Promise<void> {
    const healedAt = this.healedAt ?? Date.now();
    const postHeal = options.postHealOrders ?? this.rate * 2;
    const minOrders = options.minOrders ?? MIN_ORDERS;
    const { stack } = this.rig;
    const openOrders = async () => [
      ...(await listCustomerOrders(stack.orders.url, this.customerId, 'PENDING')),
      ...(await listCustomerOrders(stack.orders.url, this.customerId, 'CONFIRMED')),
    ];

    // Watched while the load goes on: when is the last order accepted before the heal final?
    const beforeHeal = new Set(this.loader.placed().filter((request) => request.placedAt! <= healedAt).map((request) => request.orderId));
    let backlogDoneAt: number | undefined;
    let watching = true;
    const backlog = (async () => {
      while (watching && backlogDoneAt === undefined) {
        try {
          if (!(await openOrders()).some((order) => beforeHeal.has(order.id))) backlogDoneAt = Date.now();
        } catch {
          // The app may be restarting: look again.
        }
        if (backlogDoneAt === undefined) await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();

    try {
      await waitFor(() => this.loader.placedSince(healedAt) >= postHeal && this.loader.placed().length >= minOrders, {
        timeoutMs: 90_000,
        intervalMs: 50,
        description: `${postHeal} orders placed after the heal and ${minOrders} in all`,
      }).catch((error: unknown) => {
        throw new Error(`${firstLine(error)} (loader now: ${JSON.stringify(this.loader.summary())})`);
      });
      this.note(`${this.loader.placedSince(healedAt)} orders placed after the heal, ${this.loader.placed().length} in all; stopping the loader`);
      await this.loader.drain(60_000);
      this.loadStoppedAt = Date.now();
      this.note(`loader drained (${this.loader.placed().length} placed)`);
      const consumerUrls = options.consumerUrls ?? [stack.orders.managementUrl, stack.inventory.managementUrl, stack.delivery.managementUrl];
      let last = '';
      await waitFor(
        async () => {
          const lags = await Promise.all(consumerUrls.map(async (url) => (await getJson<ConsumerStatusBody>(`${url}/consumer`)).body));
          const behind = lags.filter((status) => status?.totalLag !== '0');
          const open = await openOrders();
          last = `lag ${lags.map((status) => `${status?.group}=${status?.totalLag}`).join(', ')}; ${open.length} orders not final`;
          return behind.length === 0 && open.length === 0;
        },
        { timeoutMs: RECOVERY_TIMEOUT_MS, intervalMs: 250, description: `every group at lag 0 and every order final (logs: ${stack.logDir})` },
      ).catch((error: unknown) => {
        throw new Error(`${firstLine(error)}; last seen: ${last}`);
      });
    } finally {
      watching = false;
      await backlog;
    }
    this.recoveredAt = Date.now();
    // Every order is final now, so the backlog is done at the latest now.
    this.result.recoveryMs = (backlogDoneAt ?? this.recoveredAt) - healedAt;
    if (this.faultAt !== undefined) this.result.faultToRecoveredMs = (backlogDoneAt ?? this.recoveredAt) - this.faultAt;
    this.result.lagZeroMs = this.recoveredAt - healedAt;
    this.result.drainMs = this.recoveredAt - this.loadStoppedAt!;
    this.note(`recovered: the ${beforeHeal.size} orders accepted before the heal were final ${(this.result.recoveryMs / 1_000).toFixed(1)} s after it; every group at lag 0 and every order final`);
  }

  /**
   * The oracle. Black box: the loader got a definitive 201 for every request and no order twice;
   * the customer's orders are exactly the ones it got a 201 for, each with the lines it sent and
   * final (SCHEDULED: the SKU is stocked); stock `reserved` is exactly the sum of their quantities
   * (+ `extraReserved` the scenario added on its own). Then the reconciliation audit must be ok:
   * 0 lost, 0 duplicate effects, every audited group at lag 0.
   */
  async verify(options: { extraReserved?: number } = {}): Promise<AuditReport> {
    const { stack } = this.rig;
    const summary: LoaderSummary = this.loader.summary();
    this.result.ordersPlaced = summary.placed;
    this.result.details.loader = summary;
    expect({ pending: summary.pending, refused: summary.refused, idMismatches: summary.idMismatches, unexpected: this.loader.unexpectedAnswers() }).toEqual({
      pending: 0,
      refused: 0,
      idMismatches: 0,
      unexpected: [],
    });
    expect(summary.placed).toBeGreaterThan(0);

    const placed = this.loader.placed();
    const listed = await listCustomerOrders(stack.orders.url, this.customerId);
    // Nothing doubled (no second order for one key), nothing lost (every 201 is there).
    expect(listed.length).toBe(placed.length);
    expect(new Set(listed.map((order) => order.id))).toEqual(new Set(placed.map((request) => request.orderId)));
    const byId = new Map(listed.map((order) => [order.id, order]));
    const wrong = placed
      .map((request) => ({ key: request.key, order: byId.get(request.orderId!) }))
      .filter(({ order }) => order?.status !== 'SCHEDULED')
      .map(({ key, order }) => ({ key, id: order?.id, status: order?.status }));
    expect(wrong).toEqual([]);
    // Nothing half-written: each order holds exactly the lines its request sent.
    const badLines = placed.filter((request) => JSON.stringify(byId.get(request.orderId!)?.items) !== JSON.stringify(request.items)).map((request) => request.key);
    expect(badLines).toEqual([]);

    // Exactly-once effect in inventory: reserved is the sum of what was ordered, not a unit more.
    const ordered = placed.reduce((sum, request) => sum + request.items.reduce((lines, line) => lines + line.quantity, 0), 0) + (options.extraReserved ?? 0);
    const stock = await getStock(stack, this.sku);
    this.result.details.stock = { ...stock, expectedReserved: ordered };
    expect(stock).toEqual(expect.objectContaining({ onHand: this.onHand, reserved: ordered, available: this.onHand - ordered }));

    const report = await this.audit();
    this.note(`oracle ok: ${report.verdict}`);
    return report;
  }

  /** runAudit over this stack; asserts it is ok and that every audited order was applied. */
  async audit(): Promise<AuditReport> {
    const { stack } = this.rig;
    const report = await runAudit({
      kafkaBrokers: this.rig.kafkaBrokers.split(','),
      databaseUrl: this.rig.databaseUrl,
      ordersSchema: stack.orders.env.DATABASE_SCHEMA,
      ordersGroup: stack.groups.orders,
      inventory: { schema: stack.inventory.env.DATABASE_SCHEMA, group: stack.groups.inventory },
      delivery: { schema: stack.delivery.env.DATABASE_SCHEMA, group: stack.groups.delivery },
      sharedTopic: this.rig.sharedTopic,
      graceSeconds: 5,
      maxExamples: 10_000,
    });
    this.result.auditOk = report.ok;
    this.result.details.audit = {
      verdict: report.verdict,
      checks: report.checks.map((check) => ({ id: check.id, ok: check.ok, summary: check.summary, gaps: check.gaps.map((gap) => `${gap.kind}: ${gap.count}`), notes: check.notes.map((note) => `${note.kind}: ${note.count}`) })),
    };
    const gaps = report.checks.flatMap((check) => check.gaps.map((gap) => ({ check: check.id, kind: gap.kind, count: gap.count, examples: gap.examples.slice(0, 3) })));
    expect(gaps).toEqual([]);
    expect(report.ok).toBe(true);
    for (const id of ['inventory', 'delivery'] as const) {
      const counts = report.checks.find((check) => check.id === id)!.counts;
      expect({ check: id, applied: counts.applied, pending: counts.pending }).toEqual({ check: id, applied: counts.orders, pending: 0 });
    }
    expect(report.checks.find((check) => check.id === 'outbox')!.counts.unpublished).toBe(0);
    return report;
  }
}

/**
 * Declares one scenario as a Jest test whose outcome (pass or fail, times, details) is recorded in
 * the results whatever happens. `body` gets a ScenarioRun; the loader is always stopped after it.
 */
export function faultScenario(
  rig: () => FaultRig,
  id: string,
  title: string,
  body: (run: ScenarioRun) => Promise<void>,
  options: { timeoutMs?: number; rate?: number } = {},
): void {
  it(
    `${id}. ${title}`,
    async () => {
      const current = rig();
      const result = current.results.begin(id, title);
      let run: ScenarioRun | undefined;
      try {
        run = new ScenarioRun(current, result, options.rate ?? DEFAULT_RATE);
        await body(run);
        result.passed = true;
      } catch (error) {
        run?.note(`FAILED: ${firstLine(error)}`);
        result.error = firstLine(error);
        if (run) result.details.loader ??= run.loader.summary();
        throw error;
      } finally {
        run?.loader.abort();
        if (run) {
          result.ordersPlaced = run.loader.placed().length;
          result.details.timeline = run.timeline;
        }
        current.results.record(result);
        await current.restore?.().catch((error: unknown) => console.error(`restoring the stack after scenario ${id} failed: ${firstLine(error)}`));
      }
    },
    options.timeoutMs ?? 240_000,
  );
}

/** GET /consumer of one app (any instance) on its management URL: counters of that instance, lag of the whole group. */
export async function consumerOf(url: string): Promise<ConsumerStatusBody & { assignment: Record<string, number[]> }> {
  const response = await getJson<ConsumerStatusBody & { assignment: Record<string, number[]> }>(`${url}/consumer`);
  if (response.status !== 200) throw new Error(`GET ${url}/consumer: HTTP ${response.status} ${response.text.slice(0, 300)}`);
  return response.body;
}
