import { Topics } from '@relay/contracts';
import { BENCH_SKUS, BENCH_STOCK } from './events';
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
  /** When each order was processed, for orders created at or after `sinceEpochMs`. */
  processedTimes(sinceEpochMs: number): Promise<ProcessedTimes>;
}

/** Relay's pipeline as an OrderFlow: both consumer groups' lag as the services report it, and the two outboxes that feed them. */
export function pipelineFlow(stack: BenchStack, pipeline: Pipeline): OrderFlow<'inventoryLag' | 'deliveryLag' | 'ordersOutbox' | 'inventoryOutbox'> {
  return {
    ordersUrl: pipeline.orders.url,
    watched: { inventoryLag: 'inventory lag', deliveryLag: 'delivery lag', ordersOutbox: 'orders outbox', inventoryOutbox: 'inventory outbox' },
    sampledHow: 'lag: GET /consumer totalLag of each service; outbox: rows not yet published',
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
    processedTimes: (since) => processedTimes(stack, pipeline, since),
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
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ onHand }),
      });
      if (!response.ok) throw new Error(`PUT /stock/${sku} on ${inventory.label}: ${response.status} ${await response.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, () => worker()));
}

/** Kafka lag of the three groups (measured by the bench) and the three outbox backlogs. */
export async function backlogOf(stack: BenchStack, pipeline: Pipeline): Promise<Backlog> {
  const [inventoryLag, deliveryLag, ordersLag, ordersOutbox, inventoryOutbox, deliveryOutbox] = await Promise.all([
    stack.groupLag(pipeline.inventory.group, CONSUMED_TOPICS.inventory),
    stack.groupLag(pipeline.delivery.group, CONSUMED_TOPICS.delivery),
    stack.groupLag(pipeline.orders.group, CONSUMED_TOPICS.orders),
    stack.outboxBacklog(pipeline.orders.schema),
    stack.outboxBacklog(pipeline.inventory.schema),
    stack.outboxBacklog(pipeline.delivery.schema),
  ]);
  return { inventoryLag, deliveryLag, ordersLag, ordersOutbox: ordersOutbox ?? 0, inventoryOutbox: inventoryOutbox ?? 0, deliveryOutbox: deliveryOutbox ?? 0 };
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

export interface ProcessedTimes {
  /** orderId → epoch ms at which inventory processed its order-placed event. */
  inventory: Map<string, number>;
  /** orderId → epoch ms at which delivery processed its order-placed event. */
  delivery: Map<string, number>;
  /** orderId → epoch ms at which delivery processed stock-reserved (the delivery is SCHEDULED). */
  deliveryScheduled: Map<string, number>;
  /** orderId → epoch ms at which the orders relay stamped its order-placed row (Kafka had acknowledged it). */
  published: Map<string, number>;
}

/**
 * When each order was processed, read from the services' own tables: `processed_events.processed_at`
 * (the start of the consumer's transaction that applied the event and recorded it), joined with the
 * producing outbox (eventId → orderId). Only orders whose outbox row was written at or after `since`.
 */
export async function processedTimes(stack: BenchStack, pipeline: Pipeline, sinceEpochMs: number): Promise<ProcessedTimes> {
  const since = sinceEpochMs - 1_000;
  const timesOf = async (sql: string, params: unknown[]): Promise<Map<string, number>> => {
    const result = await stack.db.query<{ order_id: string; at_ms: string }>(sql, params);
    return new Map(result.rows.map((row) => [row.order_id, Number(row.at_ms)]));
  };
  const query = (consumerSchema: string, group: string, producerSchema: string, eventType: string) =>
    timesOf(
      `SELECT o.message_key AS order_id, (extract(epoch FROM p.processed_at) * 1000)::float8 AS at_ms
         FROM "${consumerSchema}".processed_events p
         JOIN "${producerSchema}".outbox o ON o.event_id = p.event_id
        WHERE p.consumer_group = $1 AND p.event_type = $2 AND o.created_at >= to_timestamp($3::float8 / 1000)`,
      [group, eventType, since],
    );
  const publishedTimes = () =>
    timesOf(
      `SELECT message_key AS order_id, (extract(epoch FROM published_at) * 1000)::float8 AS at_ms
         FROM "${pipeline.orders.schema}".outbox
        WHERE event_type = 'order.placed.v1' AND published_at IS NOT NULL AND created_at >= to_timestamp($1::float8 / 1000)`,
      [since],
    );
  const [inventory, delivery, deliveryScheduled, published] = await Promise.all([
    query(pipeline.inventory.schema, pipeline.inventory.group, pipeline.orders.schema, 'order.placed.v1'),
    query(pipeline.delivery.schema, pipeline.delivery.group, pipeline.orders.schema, 'order.placed.v1'),
    query(pipeline.delivery.schema, pipeline.delivery.group, pipeline.inventory.schema, 'stock.reserved.v1'),
    publishedTimes(),
  ]);
  return { inventory, delivery, deliveryScheduled, published };
}

/** Peak events per second the orders outbox relay published (1-second buckets of published_at). */
export async function peakOutboxPublishRate(stack: BenchStack, schema: string): Promise<number | null> {
  try {
    const result = await stack.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${schema}".outbox WHERE published_at IS NOT NULL GROUP BY date_trunc('second', published_at) ORDER BY 1 DESC LIMIT 1`,
    );
    return result.rows.length > 0 ? Number(result.rows[0].n) : null;
  } catch {
    return null;
  }
}

export const ORDER_TOPIC = Topics.orderEvents;
