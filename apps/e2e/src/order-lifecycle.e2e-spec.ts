import { Consumer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { Topics } from '@relay/contracts';
import { getStock, placeOrder, placeOrderOk, setStock, skuFor, waitForDelivery, waitForReservation } from './support/api';
import { getJson, HttpResponse, mapWithConcurrency, postJson } from './support/http';
import { e2eKafka } from './support/kafka';
import { startStack, Stack } from './support/stack';
import { waitFor } from '@relay/testing';

// The order lifecycle, black box: orders, inventory and delivery choreographed through events
// until the order's status tells the truth.

interface OrderWithHistory {
  id: string;
  status: string;
  reason: Record<string, string | number> | null;
  history?: { from: string | null; to: string; cause: string }[];
}

interface SeenEvent {
  eventId: string;
  type: string;
  correlationId: string;
  causationId: string | null;
  data: { orderId: string };
}

const address = { line1: '1 rue de la Paix', city: 'Paris', postalCode: '75002', country: 'FR' };

describe('order lifecycle', () => {
  let stack: Stack;
  let reader: Consumer;
  const seen: SeenEvent[] = [];

  const getOrder = async (id: string) => (await getJson<OrderWithHistory>(`${stack.orders.url}/orders/${id}`)).body;
  const waitForStatus = (id: string, status: string) =>
    waitFor(async () => ((await getOrder(id)).status === status ? getOrder(id) : undefined), { timeoutMs: 30_000, description: `order ${id} to reach ${status}` });
  const cancel = (id: string, reason?: string) => postJson<OrderWithHistory>(`${stack.orders.url}/orders/${id}/cancel`, reason ? { reason } : {});

  beforeAll(async () => {
    stack = await startStack({ name: 'lifecycle' });
    // A reader of every topic, to check what the services told each other.
    const kafka = e2eKafka(stack.kafkaBrokers, `lifecycle-reader-${stack.suffix}`);
    // restartOnFailure: on a broker that has just started, joining can fail with an error kafkajs
    // does not retry by itself; the reader must keep trying rather than silently stop.
    reader = kafka.consumer({ groupId: `lifecycle-reader-${stack.suffix}`, retry: { restartOnFailure: async () => true } });
    let joined = false;
    reader.on(reader.events.GROUP_JOIN, () => (joined = true));
    await reader.connect();
    await reader.subscribe({ topics: [Topics.orderEvents, Topics.inventoryEvents, Topics.deliveryEvents], fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        try {
          seen.push(JSON.parse(message.value!.toString()) as SeenEvent);
        } catch {
          // Other suites put poison on the shared topics on purpose; not ours to read.
        }
      },
    });
    await waitFor(() => joined || undefined, { timeoutMs: 60_000, description: 'the topic reader to join its group' });
  });

  afterAll(async () => {
    await reader?.disconnect();
    await stack?.stop();
  });

  it('takes a stocked order to SCHEDULED, and every event of its story carries its correlation', async () => {
    const sku = skuFor(stack, 'ok');
    await setStock(stack, sku, 10);
    const correlationId = `checkout-${stack.suffix}`;
    const placed = await postJson<OrderWithHistory>(
      `${stack.orders.url}/orders`,
      { customerId: 'c-ok', items: [{ sku, quantity: 2 }], shippingAddress: address },
      { headers: { 'x-correlation-id': correlationId } },
    );
    expect(placed.status).toBe(201);
    expect(placed.headers.get('x-correlation-id')).toBe(correlationId);
    const order = placed.body;

    const scheduled = await waitForStatus(order.id, 'SCHEDULED');
    // stock.reserved and delivery.scheduled travel on different topics: orders may learn of the
    // delivery first, and then goes straight from PENDING to SCHEDULED (and ignores the late one).
    expect([
      ['null→PENDING', 'PENDING→CONFIRMED', 'CONFIRMED→SCHEDULED'],
      ['null→PENDING', 'PENDING→SCHEDULED'],
    ]).toContainEqual(scheduled.history?.map((change) => `${change.from}→${change.to}`));
    expect(await waitForDelivery(stack, order.id)).toMatchObject({ status: 'SCHEDULED', route: expect.stringMatching(/^FR-R\d{2}$/) });
    expect(await getStock(stack, sku)).toMatchObject({ onHand: 10, reserved: 2, available: 8 });

    const story = await waitFor(() => {
      const events = seen.filter((event) => event.data?.orderId === order.id);
      return events.length >= 3 ? events : undefined;
    }, { timeoutMs: 60_000, description: 'the order placed, stock reserved and delivery scheduled events' });
    const byType = new Map(story.map((event) => [event.type, event]));
    expect([...byType.keys()].sort()).toEqual(['delivery.scheduled', 'order.placed', 'stock.reserved']);
    expect(story.map((event) => event.correlationId)).toEqual(story.map(() => correlationId));
    expect(byType.get('order.placed')!.causationId).toBeNull();
    expect(byType.get('stock.reserved')!.causationId).toBe(byType.get('order.placed')!.eventId);
    expect(byType.get('delivery.scheduled')!.causationId).toBe(byType.get('stock.reserved')!.eventId);
  });

  it('rejects an order it cannot stock: REJECTED with the reason, delivery cancelled, no stock taken', async () => {
    const sku = skuFor(stack, 'short');
    await setStock(stack, sku, 3);
    const order = (await placeOrder<OrderWithHistory>(stack, { customerId: 'c-short', items: [{ sku, quantity: 5 }] })).body;

    const rejected = await waitForStatus(order.id, 'REJECTED');
    expect(rejected.reason).toEqual({ code: 'INVENTORY.INSUFFICIENT_STOCK', sku, requested: 5, available: 3 });
    await waitFor(async () => (await waitForDelivery(stack, order.id)).status === 'CANCELLED', { timeoutMs: 30_000, description: 'the prepared delivery to be cancelled' });
    expect(await waitForDelivery(stack, order.id)).toMatchObject({ cancelReason: 'STOCK_REJECTED' });
    expect(await getStock(stack, sku)).toMatchObject({ onHand: 3, reserved: 0 });

    const refused = await cancel(order.id);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'ORDERS.CANNOT_CANCEL_REJECTED' });
  });

  it('cancels a scheduled order: stock released, delivery cancelled, a second cancel changes nothing', async () => {
    const sku = skuFor(stack, 'cancel');
    await setStock(stack, sku, 10);
    const order = (await placeOrder<OrderWithHistory>(stack, { customerId: 'c-cancel', items: [{ sku, quantity: 4 }] })).body;
    await waitForStatus(order.id, 'SCHEDULED');
    expect(await getStock(stack, sku)).toMatchObject({ reserved: 4 });

    const first = await cancel(order.id, 'changed my mind');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'CANCELLED', reason: { code: 'ORDERS.CANCELLED_BY_CUSTOMER', message: 'changed my mind' } });
    await waitFor(async () => (await getStock(stack, sku)).reserved === 0, { timeoutMs: 30_000, description: 'the reservation to be released' });
    expect((await waitForReservation(stack, order.id)).status).toBe('RELEASED');
    await waitFor(async () => (await waitForDelivery(stack, order.id)).status === 'CANCELLED', { timeoutMs: 30_000, description: 'the delivery to be cancelled' });

    const second = await cancel(order.id);
    expect(second.status).toBe(200);
    expect(second.body.status).toBe('CANCELLED');
    expect((await getOrder(order.id)).history?.filter((change) => change.to === 'CANCELLED')).toHaveLength(1);
    expect((await cancel(randomUUID())).status).toBe(404);
  });

  it('sells exactly the stock there is when 200 orders race for 50 units', async () => {
    const sku = skuFor(stack, 'race');
    await setStock(stack, sku, 50);
    const orders = await mapWithConcurrency(Array.from({ length: 200 }, (_, i) => i), 20, async (i) => placeOrderOk(stack, `c-race-${i}`, [{ sku, quantity: 1 }]));

    const finals = await waitFor(async () => {
      const statuses = await mapWithConcurrency(orders, 20, async (order) => (await getOrder(order.id)).status);
      return statuses.every((status) => status !== 'PENDING' && status !== 'CONFIRMED') ? statuses : undefined;
    }, { timeoutMs: 90_000, intervalMs: 500, description: 'all 200 orders to be decided' });

    const count = (status: string) => finals.filter((value) => value === status).length;
    expect({ scheduled: count('SCHEDULED'), rejected: count('REJECTED') }).toEqual({ scheduled: 50, rejected: 150 });
    expect(await getStock(stack, sku)).toEqual({ sku, onHand: 50, reserved: 50, available: 0 });
  });

  it('pages through a customer’s orders, newest first, with no order twice', async () => {
    const sku = skuFor(stack, 'page');
    await setStock(stack, sku, 100);
    const customerId = `c-page-${stack.suffix}`;
    const placed = [];
    for (let i = 0; i < 7; i++) placed.push(await placeOrderOk(stack, customerId, [{ sku, quantity: 1 }]));

    const listed: string[] = [];
    let cursor: string | null = null;
    do {
      const page: HttpResponse<{ orders: { id: string }[]; nextCursor: string | null }> = await getJson(
        `${stack.orders.url}/orders?customerId=${customerId}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      listed.push(...page.body.orders.map((order) => order.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(listed).toEqual(placed.map((order) => order.id).reverse());

    expect((await getJson(`${stack.orders.url}/orders?limit=1000`)).status).toBe(400);
    expect((await getJson(`${stack.orders.url}/orders?status=LOST`)).status).toBe(400);
    expect((await getJson(`${stack.orders.url}/orders?cursor=bogus`)).body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'cursor' }] });
  });

  it('answers a retried POST with the same Idempotency-Key with the same order, and refuses the key with another body', async () => {
    const sku = skuFor(stack, 'idem');
    await setStock(stack, sku, 10);
    const key = `retry-${randomUUID()}`;
    const body = { customerId: 'c-idem', items: [{ sku, quantity: 1 }] };
    const first = await postJson<OrderWithHistory>(`${stack.orders.url}/orders`, body, { headers: { 'idempotency-key': key } });
    const retry = await postJson<OrderWithHistory>(`${stack.orders.url}/orders`, body, { headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(first.body.id);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');

    const other = await postJson(`${stack.orders.url}/orders`, { ...body, items: [{ sku, quantity: 2 }] }, { headers: { 'idempotency-key': key } });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ code: 'ORDERS.IDEMPOTENCY_KEY_REUSED' });

    await waitForStatus(first.body.id, 'SCHEDULED');
    expect(await getStock(stack, sku)).toMatchObject({ reserved: 1 });
  });
});
