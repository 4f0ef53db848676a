import { readFile } from 'node:fs/promises';
import { placeOrder, setStock, skuFor } from './support/api';
import { getJson, postJson } from './support/http';
import { startStack, Stack } from './support/stack';
import { waitFor } from './support/wait-for';

// What an operator sees: health that tells the truth, metrics that move, and one order's
// correlation id in the logs of every service.

interface OrderBody {
  id: string;
  status: string;
}

/** Sums the samples of a metric whose labels include all of `labels`. */
function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('observability', () => {
  let stack: Stack;

  beforeAll(async () => {
    const debugJson = { LOG_LEVEL: 'debug', LOG_FORMAT: 'json' };
    stack = await startStack({ name: 'observe', env: { orders: debugJson, inventory: debugJson, delivery: debugJson } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('is ready once the database answers and the consumer is in its group, and not while it shuts down', async () => {
    for (const app of stack.apps) {
      expect((await getJson(`${app.url}/health/live`)).status).toBe(200);
      const ready = await waitFor(async () => {
        const answer = await getJson<{ status: string; info: Record<string, { status: string }> }>(`${app.url}/health/ready`);
        return answer.status === 200 ? answer.body : undefined;
      }, { timeoutMs: 30_000, description: `${app.service} to be ready` });
      expect(Object.keys(ready.info).sort()).toEqual(['consumer', 'database', 'lifecycle']);
    }

    // Readiness drops while the app drains: probe it between SIGTERM and exit.
    const { delivery } = stack;
    const stopping = delivery.stop();
    const sawNotReady = await waitFor(async () => {
      const answer = await getJson(`${delivery.url}/health/ready`).catch(() => ({ status: 0 }));
      return answer.status !== 200 ? true : undefined;
    }, { timeoutMs: 20_000, intervalMs: 10, description: 'delivery readiness to drop during shutdown' });
    expect(sawNotReady).toBe(true);
    await stopping;
    await delivery.start();
    await waitFor(async () => ((await getJson(`${delivery.url}/health/ready`)).status === 200 ? true : undefined), {
      timeoutMs: 30_000,
      description: 'delivery to be ready again',
    });
  });

  it('carries a caller’s correlation id into the logs of all three services', async () => {
    const sku = skuFor(stack, 'corr');
    await setStock(stack, sku, 5);
    const correlationId = `trace-me-${stack.suffix}`;
    const placed = await postJson<OrderBody>(`${stack.orders.url}/orders`, { customerId: 'c-corr', items: [{ sku, quantity: 1 }] }, { headers: { 'x-correlation-id': correlationId } });
    expect(placed.status).toBe(201);
    await waitFor(async () => ((await getJson<OrderBody>(`${stack.orders.url}/orders/${placed.body.id}`)).body.status === 'SCHEDULED' ? true : undefined), {
      timeoutMs: 30_000,
      description: 'the order to be scheduled',
    });

    for (const app of stack.apps) {
      const lines = await waitFor(async () => {
        const log = await readFile(app.logFile, 'utf8');
        const matching = log.split('\n').filter((line) => line.includes(correlationId));
        return matching.length > 0 ? matching : undefined;
      }, { timeoutMs: 20_000, description: `${app.service}'s log to mention ${correlationId}` });
      const entry = JSON.parse(lines[0]) as Record<string, unknown>;
      expect(entry).toMatchObject({ service: app.service, correlationId });
    }
  });

  it('exports metrics that move when orders flow', async () => {
    const sku = skuFor(stack, 'metrics');
    await setStock(stack, sku, 50);
    const scrape = async (url: string) => (await getJson<never>(`${url}/metrics`)).text;
    const ordersBefore = await scrape(stack.orders.managementUrl);
    const inventoryBefore = await scrape(stack.inventory.managementUrl);
    const orders: OrderBody[] = [];
    for (let i = 0; i < 5; i++) orders.push((await placeOrder<OrderBody>(stack, { customerId: 'c-metrics', items: [{ sku, quantity: 1 }] })).body);
    await waitFor(async () => {
      const statuses = await Promise.all(orders.map(async (order) => (await getJson<OrderBody>(`${stack.orders.url}/orders/${order.id}`)).body.status));
      return statuses.every((status) => status === 'SCHEDULED') ? true : undefined;
    }, { timeoutMs: 30_000, description: 'the five orders to be scheduled' });

    const ordersAfter = await scrape(stack.orders.managementUrl);
    const inventoryAfter = await scrape(stack.inventory.managementUrl);
    const httpPosts = (text: string) => metricValue(text, 'http_request_duration_seconds_count', { method: 'POST', route: '/orders', status: '201' });
    expect(httpPosts(ordersAfter) - httpPosts(ordersBefore)).toBe(5);
    const published = (text: string) => metricValue(text, 'relay_outbox_published_total', { topic: 'relay.orders.v1' });
    expect(published(ordersAfter) - published(ordersBefore)).toBeGreaterThanOrEqual(5);
    const applied = (text: string) => metricValue(text, 'relay_events_consumed_total', { event_type: 'order.placed.v1', outcome: 'applied' });
    expect(applied(inventoryAfter) - applied(inventoryBefore)).toBeGreaterThanOrEqual(5);
    expect(inventoryAfter).toMatch(/relay_consumer_lag\{[^}]*group="inventory-/);
    expect(ordersAfter).toMatch(/^relay_outbox_backlog(\{[^}]*\})? 0$/m);
    expect(inventoryAfter).toMatch(/relay_event_processing_seconds_bucket/);
  });
});
