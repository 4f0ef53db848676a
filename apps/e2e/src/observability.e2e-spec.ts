import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { placeOrder, setStock, skuFor } from './support/api';
import { getJson, postJson } from './support/http';
import { OtlpReceiver, ReceivedSpan } from './support/otlp-receiver';
import { startStack, Stack } from './support/stack';
import { waitFor } from '@relay/testing';

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
  let collector: OtlpReceiver;

  beforeAll(async () => {
    collector = await OtlpReceiver.start();
    const env = { LOG_LEVEL: 'debug', LOG_FORMAT: 'json', OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint };
    stack = await startStack({ name: 'observe', env: { orders: env, inventory: env, delivery: env } });
  });

  afterAll(async () => {
    await stack?.stop();
    await collector?.stop();
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

  it('exports one order’s trace over OTLP: its request, its events’ publication and every service’s consumption', async () => {
    const sku = skuFor(stack, 'trace');
    await setStock(stack, sku, 5);
    const callerTraceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const placed = await postJson<OrderBody>(
      `${stack.orders.url}/orders`,
      { customerId: 'c-trace', items: [{ sku, quantity: 1 }] },
      { headers: { traceparent: `00-${callerTraceId}-${callerSpanId}-01` } },
    );
    expect(placed.status).toBe(201);
    const orderId = placed.body.id;
    const consumed = (spans: ReceivedSpan[], service: string) => spans.filter((span) => span.service === service && span.name.startsWith('process ') && span.attributes['relay.correlation_id'] !== undefined);
    // Every span hangs off another span of the trace, but the caller's child: one tree.
    const orphans = (spans: ReceivedSpan[]) => {
      const ids = new Set(spans.map((span) => span.spanId));
      return spans.filter((span) => span.parentSpanId !== callerSpanId && !ids.has(span.parentSpanId)).map((span) => `${span.service} ${span.name}`);
    };
    // Spans leave each service in batches, about once a second, so a child can arrive before its
    // parent: wait for every service's consumer spans and for the tree to close.
    const trace = await waitFor(
      async () => {
        const spans = collector.spansOfTrace(callerTraceId);
        const complete = ['orders', 'inventory', 'delivery'].every((service) => consumed(spans, service).length > 0);
        return complete && orphans(spans).length === 0 ? spans : undefined;
      },
      { timeoutMs: 30_000, description: `spans of trace ${callerTraceId} from all three services' consumers, in one tree (order ${orderId})` },
    );

    const request = trace.find((span) => span.service === 'orders' && span.name === 'POST /orders')!;
    expect(request).toMatchObject({ parentSpanId: callerSpanId, kind: 2, attributes: { 'http.route': '/orders', 'http.response.status_code': 201 } });
    // Inventory consumed order.placed as a child of the request that raised it.
    const reserve = consumed(trace, 'inventory').find((span) => span.attributes['relay.event_type'] === 'order.placed.v1')!;
    expect(reserve).toMatchObject({ parentSpanId: request.spanId, kind: 5, attributes: { 'messaging.destination.name': 'relay.orders.v1', 'messaging.consumer.group.name': expect.any(String) } });
    expect(reserve.attributes['messaging.kafka.offset']).toEqual(expect.any(Number));
    expect(reserve.attributes['messaging.message.id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(trace.filter((span) => span.parentSpanId === callerSpanId)).toEqual([request]);
    // The relay's publish request (a trace of its own, shared by many orders) links to the request.
    const publish = await waitFor(
      async () => collector.spans.find((span) => span.service === 'orders' && span.kind === 4 && span.links.some((link) => link.spanId === request.spanId)),
      { timeoutMs: 30_000, description: 'the orders relay publish span linked to the request' },
    );
    expect(publish.name).toBe('publish relay.orders.v1');
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
