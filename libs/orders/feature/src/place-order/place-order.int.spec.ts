import { PlaceOrderCommand } from '@relay/orders/domain';
import { ordersPersistence } from '@relay/orders/data-access';
import { childTraceparent, isDatabaseUnavailable, runInWorkContext } from '@relay/service-runtime';
import { integrationEnv, openTestDataSource, uniqueName, waitFor } from '@relay/testing';
import { DataSource, EntityManager } from 'typeorm';
import { OrderIntake } from './order-intake';
import { PlaceOrderOutcome, PlaceOrderUseCase } from './place-order.use-case';

jest.setTimeout(60_000);

/**
 * POST /orders' write path against real PostgreSQL: concurrent orders share transactions (group
 * commit), every order gets its lines, history and event, a bad order fails alone, and
 * Idempotency-Key races still create one order.
 */
describe('PlaceOrderUseCase against real PostgreSQL', () => {
  const env = integrationEnv();
  const schema = uniqueName('it_place_order');
  let dataSource: Awaited<ReturnType<typeof openTestDataSource>>;
  let placeOrder: PlaceOrderUseCase;
  let transactions: jest.SpyInstance;

  const command = (customerId: string, sku = 'SKU-1', quantity = 1): PlaceOrderCommand => ({ customerId, items: [{ sku, quantity }] });
  const idOf = (outcome: PlaceOrderOutcome) => ('order' in outcome ? outcome.order.id : undefined);

  async function rowsFor(orderIds: string[]) {
    const [orders, lines, history, events] = await Promise.all([
      dataSource.query(`SELECT id::text AS id FROM orders WHERE id = ANY($1::uuid[])`, [orderIds]),
      dataSource.query(`SELECT order_id::text AS "orderId", line_no AS "lineNo", sku, quantity FROM order_lines WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, line_no`, [orderIds]),
      dataSource.query(
        `SELECT o.id::text AS "orderId", entry->>'from' AS "from", entry->>'to' AS "to", entry->>'cause' AS cause
         FROM orders AS o CROSS JOIN LATERAL jsonb_array_elements(o.status_history) WITH ORDINALITY AS h(entry, position)
         WHERE o.id = ANY($1::uuid[]) ORDER BY array_position($1::uuid[], o.id), h.position`,
        [orderIds],
      ),
      dataSource.query(
        `SELECT message_key AS "orderId", event_type AS type, payload->>'correlationId' AS "correlationId", headers->>'traceparent' AS traceparent
         FROM outbox WHERE message_key = ANY($1::text[]) ORDER BY id`,
        [orderIds],
      ),
    ]);
    return { orders, lines, history, events } as {
      orders: { id: string }[];
      lines: { orderId: string; lineNo: number; sku: string; quantity: number }[];
      history: { orderId: string; from: string | null; to: string; cause: string }[];
      events: { orderId: string; type: string; correlationId: string; traceparent: string }[];
    };
  }

  beforeAll(async () => {
    dataSource = await openTestDataSource(env.databaseUrl, schema, ordersPersistence);
    placeOrder = new PlaceOrderUseCase(dataSource, new OrderIntake(dataSource, { writeBatchMax: 100, writeQueueMax: 1_000, writeConcurrency: 1 }));
  });

  beforeEach(() => {
    transactions = jest.spyOn(dataSource, 'transaction');
  });

  afterEach(() => {
    transactions.mockRestore();
  });

  afterAll(async () => {
    await dataSource?.drop();
  });

  it('writes concurrent orders in fewer transactions than orders, each with its lines, history and event, events in request order', async () => {
    const requests = Array.from({ length: 40 }, (_, index) => ({
      command: { customerId: `c-batch-${index}`, items: [{ sku: `SKU-${index}`, quantity: index + 1 }, { sku: 'SKU-common', quantity: 1 }] },
      correlationId: `corr-batch-${index}`,
      traceparent: childTraceparent(undefined),
    }));
    // Each request in its own work context, as HTTP requests are: its event carries its own ids.
    const outcomes = await Promise.all(
      requests.map((request) => runInWorkContext({ correlationId: request.correlationId, traceparent: request.traceparent }, () => placeOrder.execute(request.command))),
    );

    expect(outcomes.map((outcome) => outcome.kind)).toEqual(requests.map(() => 'created'));
    // The first order is written at once, alone; the 39 that arrive meanwhile share the next transaction.
    expect(transactions).toHaveBeenCalledTimes(2);

    const orderIds = outcomes.map((outcome) => idOf(outcome)!);
    const rows = await rowsFor(orderIds);
    expect(rows.orders).toHaveLength(40);
    expect(rows.lines).toHaveLength(80);
    for (const [index, orderId] of orderIds.entries()) {
      expect(rows.lines.filter((line) => line.orderId === orderId)).toEqual([
        { orderId, lineNo: 1, sku: `SKU-${index}`, quantity: index + 1 },
        { orderId, lineNo: 2, sku: 'SKU-common', quantity: 1 },
      ]);
    }
    expect(rows.history).toEqual(orderIds.map((orderId) => ({ orderId, from: null, to: 'PENDING', cause: 'order.placed.v1' })));
    expect(rows.events).toEqual(
      requests.map((request, index) => ({ orderId: orderIds[index], type: 'order.placed.v1', correlationId: request.correlationId, traceparent: request.traceparent })),
    );
  });

  it('stores an order as GET /orders/:id reads it back (addresses, nulls, timestamps)', async () => {
    const shippingAddress = { line1: '1 rue de la Paix', city: 'Paris', postalCode: '75002', country: 'FR' };
    const outcome = await placeOrder.execute({ customerId: 'c-read-back', items: [{ sku: 'SKU-1', quantity: 2 }], shippingAddress }, 'read-back-key');
    expect(outcome.kind).toBe('created');
    const [row] = await dataSource.query(
      `SELECT customer_id, status, status_reason, shipping_address, created_at, updated_at, idempotency_key, request_hash FROM orders WHERE id = $1`,
      [idOf(outcome)],
    );
    const placed = (outcome as { order: { createdAt: Date } }).order;
    expect(row).toMatchObject({ customer_id: 'c-read-back', status: 'PENDING', status_reason: null, shipping_address: shippingAddress, idempotency_key: 'read-back-key' });
    expect(row.created_at).toEqual(placed.createdAt);
    expect(row.updated_at).toEqual(placed.createdAt);
    expect(row.request_hash).toMatch(/^[0-9a-f]{64}$/);

    const withoutAddress = await placeOrder.execute(command('c-no-address'));
    const [plain] = await dataSource.query(`SELECT shipping_address, idempotency_key, request_hash FROM orders WHERE id = $1`, [idOf(withoutAddress)]);
    expect(plain).toEqual({ shipping_address: null, idempotency_key: null, request_hash: null });
  });

  it('fails only the bad order of a failing batch: the others are written one by one and answered 201', async () => {
    // An order that passes every check but fails its write (a trigger stands for whatever the
    // database may refuse): its whole batch rolls back and is written again one by one.
    await dataSource.query(
      `CREATE FUNCTION "${schema}".refuse_bad_customer() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN IF NEW.customer_id = 'c-bad' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`,
    );
    await dataSource.query(`CREATE TRIGGER refuse_bad_customer BEFORE INSERT ON "${schema}".orders FOR EACH ROW EXECUTE FUNCTION "${schema}".refuse_bad_customer()`);
    const customers = ['c-good-1', 'c-good-2', 'c-bad', 'c-good-3', 'c-good-4'];
    const settled = await Promise.allSettled([placeOrder.execute(command('c-first')), ...customers.map((customerId) => placeOrder.execute(command(customerId)))]);
    await dataSource.query(`DROP TRIGGER refuse_bad_customer ON "${schema}".orders`);

    const [first, ...rest] = settled;
    expect(first.status).toBe('fulfilled');
    expect(rest.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((rest[2] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
    // c-first alone; the five together (rolled back); then each of the five in its own transaction.
    expect(transactions).toHaveBeenCalledTimes(1 + 1 + 5);

    const stored = [first, ...rest].filter((result) => result.status === 'fulfilled').map((result) => idOf((result as PromiseFulfilledResult<PlaceOrderOutcome>).value)!);
    const rows = await rowsFor(stored);
    expect(rows.orders).toHaveLength(5);
    expect(rows.events.map((event) => event.orderId)).toEqual(stored);
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM orders WHERE customer_id LIKE 'c-bad%'`);
    expect(n).toBe(0);
  });

  it('refuses text PostgreSQL cannot store (a NUL) before any transaction: no batch is rolled back for it', async () => {
    // POST /orders answers 400 before this (the validation pipe); the event contract is the check behind it.
    const settled = await Promise.allSettled([placeOrder.execute(command('c-nul-\u0000')), placeOrder.execute(command('c-lone-\ud800'))]);
    expect(settled.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(String((settled[0] as PromiseRejectedResult).reason)).toMatch(/control characters[\s\S]*customerId/);
    expect(transactions).not.toHaveBeenCalled();
  });

  it('answers "overloaded" at once, having stored nothing, when the write queue is full', async () => {
    const small = new PlaceOrderUseCase(dataSource, new OrderIntake(dataSource, { writeBatchMax: 100, writeQueueMax: 1, writeConcurrency: 1 }));
    // The first is being written, the second waits, the third finds the queue full.
    const outcomes = await Promise.all(['c-full-1', 'c-full-2', 'c-full-3'].map((customerId) => small.execute(command(customerId))));
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['created', 'created', 'overloaded']);
    expect(outcomes[2]).toEqual({ kind: 'overloaded', retryAfterSeconds: 1 });
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM orders WHERE customer_id = 'c-full-3'`);
    expect(n).toBe(0);
  });

  it('creates one order for racing requests with one Idempotency-Key, in one batch or across batches; the others are replays', async () => {
    for (const [label, lead] of [
      ['across batches', []],
      ['within one batch', [command('c-race-lead')]],
    ] as const) {
      const key = `race-${label.replace(/ /g, '-')}-${schema}`;
      const body = command('c-race', 'SKU-race', 3);
      // Without a lead, the first of the six is written alone and the other five meet its committed
      // key; with one, all six share the second transaction.
      const lead$ = lead.map((each) => placeOrder.execute(each));
      const outcomes = await Promise.all(Array.from({ length: 6 }, () => placeOrder.execute(body, key)));
      await Promise.all(lead$);

      expect(outcomes.filter((outcome) => outcome.kind === 'created')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome.kind === 'replayed')).toHaveLength(5);
      const ids = new Set(outcomes.map(idOf));
      expect(ids.size).toBe(1);
      const replayed = outcomes.find((outcome) => outcome.kind === 'replayed') as { order: { items: unknown; customerId: string } };
      expect(replayed.order).toMatchObject({ customerId: 'c-race', items: [{ sku: 'SKU-race', quantity: 3 }] });

      const [orderId] = ids;
      const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM orders WHERE idempotency_key = $1`, [key]);
      expect(n).toBe(1);
      const rows = await rowsFor([orderId!]);
      expect({ lines: rows.lines.length, history: rows.history.length, events: rows.events.length }).toEqual({ lines: 1, history: 1, events: 1 });
    }
  });

  it('answers a retry with the same order, and refuses the key with another body, even racing in one batch', async () => {
    const key = `retry-${schema}`;
    const body = command('c-retry', 'SKU-retry', 1);
    const first = await placeOrder.execute(body, key);
    expect(first.kind).toBe('created');

    const retry = await placeOrder.execute({ items: [{ quantity: 1, sku: 'SKU-retry' }], customerId: 'c-retry' }, key);
    expect(retry).toEqual({ kind: 'replayed', order: expect.objectContaining({ id: idOf(first) }) });
    expect(await placeOrder.execute(command('c-retry', 'SKU-retry', 2), key)).toEqual({ kind: 'key-reused' });
    // A body the domain refuses still meets the key first, as a retry would.
    expect(await placeOrder.execute({ customerId: 'c-retry', items: [{ sku: 'A', quantity: 1 }, { sku: 'A', quantity: 1 }] }, key)).toEqual({ kind: 'key-reused' });
    expect((await placeOrder.execute({ customerId: 'c-retry', items: [{ sku: 'A', quantity: 1 }, { sku: 'A', quantity: 1 }] }, `fresh-${schema}`)).kind).toBe('rejected');

    // Two bodies racing for a fresh key in one transaction: one order, the other body refused.
    const raceKey = `retry-race-${schema}`;
    const lead = placeOrder.execute(command('c-retry-lead'));
    const [a, b] = await Promise.all([placeOrder.execute(command('c-retry-a'), raceKey), placeOrder.execute(command('c-retry-b'), raceKey)]);
    await lead;
    expect([a.kind, b.kind].sort()).toEqual(['created', 'key-reused']);
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM orders WHERE idempotency_key = $1`, [raceKey]);
    expect(n).toBe(1);
  });

  it('answers "database unavailable" (503, retry), having stored nothing, when PostgreSQL ends the connection mid-transaction', async () => {
    // The server ends the batch's session between two statements of its transaction, as a
    // PostgreSQL shutdown does. TypeORM then releases the transaction's query runner, and the next
    // statement fails with its own error rather than the connection's: that too means "unavailable".
    const realTransaction: (work: (manager: EntityManager) => Promise<unknown>) => Promise<unknown> = DataSource.prototype.transaction.bind(dataSource);
    transactions.mockImplementationOnce(((work: (manager: EntityManager) => Promise<unknown>) =>
      realTransaction(async (manager) => {
        const [{ pid }] = await manager.query('SELECT pg_backend_pid() AS pid');
        await dataSource.query('SELECT pg_terminate_backend($1)', [pid]);
        await waitFor(() => manager.queryRunner!.isReleased, { description: 'TypeORM to release the ended connection', timeoutMs: 10_000 });
        return work(manager);
      })) as never);

    const failure = await placeOrder.execute(command('c-cut-off')).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(failure)).toBe(true);
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM orders WHERE customer_id = 'c-cut-off'`);
    expect(n).toBe(0);
    // The pool replaced the connection: the next order is written.
    expect((await placeOrder.execute(command('c-after-cut-off'))).kind).toBe('created');
  });
});
