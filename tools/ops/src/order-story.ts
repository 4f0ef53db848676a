import { Kafka, Partitioners } from 'kafkajs';
import { Topics, TopicName } from '@relay/contracts';
import { Connection } from './command';
import { DEFAULT_CONSUMER_GROUPS, DEFAULT_SCHEMAS, schemaFlag } from './config';
import { Db, table, withDatabase } from './db';
import { OpsError } from './errors';
import { describeGroup } from './groups';
import { createOpsKafka, headerStrings, scanTopic, topicOffsets, withAdmin } from './kafka';
import { RELAY_PRODUCER_HEADER } from '@relay/messaging';

export interface OrderStoryOptions extends Connection {
  orderId: string;
  /** Where each service keeps its tables (default orders, inventory, delivery, as npm start). */
  schemas?: Partial<Record<keyof typeof DEFAULT_SCHEMAS, string>>;
  /** The consumer groups whose progress is shown per event (default every group npm start runs). */
  groups?: readonly string[];
}

/** One copy of one of the order's events on its topic. */
export interface OrderStoryEvent {
  topic: string;
  partition: number;
  offset: string;
  /** Kafka's timestamp (when the broker took it), ISO-8601. */
  publishedAt: string;
  eventId?: string;
  type?: string;
  occurredAt?: string;
  /** The envelope's producer, else the relay's producer header. */
  producer?: string;
  /** Whether each group consuming the topic has committed past this copy (it has applied it, or parked it). */
  consumedBy: { group: string; consumed: boolean }[];
}

/** One entry of the order row's status history (orders.status_history). */
export interface OrderStatusEntry {
  at: string;
  from: string | null;
  to: string;
  /** The event that caused the change, e.g. `stock.reserved.v1`. */
  cause?: string;
}

/** What each service holds about the order now. Null: the service has no row for it (yet). */
export interface OrderStory {
  orderId: string;
  events: OrderStoryEvent[];
  order: { status: string; statusReason: unknown; createdAt: string; updatedAt: string; statusHistory: OrderStatusEntry[] } | null;
  reservation: { status: string; lines: unknown; reason: unknown; createdAt: string } | null;
  delivery: { status: string; stockStatus: string; deliveryDate: string | null; timeWindow: string | null; cancelReason: string | null; updatedAt: string } | null;
}

const ORDER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STORY_TOPICS: TopicName[] = [Topics.orderEvents, Topics.inventoryEvents, Topics.deliveryEvents];

/**
 * Everything Relay knows about one order: each of its events on the three topics (they are keyed by
 * the order id, so only the key's partition is read, chosen by the same partitioner the producers
 * use), how far each consumer group has got past them, and what each service's tables say now.
 * Cost: one read of one partition per topic; fine for an operator's question, not for a dashboard poll.
 */
export async function orderStory(options: OrderStoryOptions): Promise<OrderStory> {
  if (!ORDER_ID.test(options.orderId)) throw new OpsError(`an order id is a UUID, got "${options.orderId}"`);
  const orderId = options.orderId.toLowerCase();
  const kafka = createOpsKafka(options.kafkaBrokers);
  const groups = options.groups ?? DEFAULT_CONSUMER_GROUPS;
  const events: OrderStoryEvent[] = [];
  for (const topic of STORY_TOPICS) events.push(...(await eventsOf(kafka, topic, orderId, groups)));
  events.sort((a, b) => a.publishedAt.localeCompare(b.publishedAt) || a.topic.localeCompare(b.topic) || Number(BigInt(a.offset) - BigInt(b.offset)));
  const schema = (name: keyof typeof DEFAULT_SCHEMAS) => schemaFlag(`${name}-schema`, options.schemas?.[name] ?? DEFAULT_SCHEMAS[name]);
  const rows = await withDatabase(options.databaseUrl, async (db) => ({
    order: await orderRow(db, schema('orders'), orderId),
    reservation: await reservationRow(db, schema('inventory'), orderId),
    delivery: await deliveryRow(db, schema('delivery'), orderId),
  }));
  return { orderId, events, ...rows };
}

async function eventsOf(kafka: Kafka, topic: string, orderId: string, groups: readonly string[]): Promise<OrderStoryEvent[]> {
  const found = await withAdmin(kafka, async (admin) => {
    const allTopics = await admin.listTopics();
    if (!allTopics.includes(topic)) return null;
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    const partition = Partitioners.DefaultPartitioner()({ topic, partitionMetadata: metadata.partitions, message: { key: orderId, value: null } });
    const range = (await topicOffsets(admin, topic)).find((entry) => entry.partition === partition)!;
    const committed: { group: string; offset: bigint }[] = [];
    for (const group of groups) {
      const info = await describeGroup(admin, group, allTopics);
      if (!info.topics.includes(topic)) continue;
      const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const offset = entry?.partitions.find((item) => item.partition === partition)?.offset ?? '-1';
      committed.push({ group, offset: BigInt(offset) });
    }
    return { partition, range, committed };
  });
  if (!found) return [];
  const events: OrderStoryEvent[] = [];
  await scanTopic(kafka, {
    topic,
    ranges: [{ partition: found.partition, from: found.range.low, to: found.range.high }],
    onMessage: (partition, message) => {
      if (message.key?.toString() !== orderId) return;
      const envelope = parseEnvelope(message.value);
      const offset = BigInt(message.offset);
      events.push({
        topic,
        partition,
        offset: message.offset,
        publishedAt: new Date(Number(message.timestamp)).toISOString(),
        eventId: envelope?.eventId,
        type: envelope?.type,
        occurredAt: envelope?.occurredAt,
        producer: envelope?.producer ?? headerStrings(message)[RELAY_PRODUCER_HEADER],
        consumedBy: found.committed.map(({ group, offset: position }) => ({ group, consumed: position > offset })),
      });
    },
  });
  return events;
}

/** The envelope's fields a timeline shows; what does not parse shows as an unknown event. */
function parseEnvelope(value: Buffer | null): { eventId?: string; type?: string; occurredAt?: string; producer?: string } | undefined {
  try {
    const parsed = JSON.parse(value?.toString() ?? '') as Record<string, unknown>;
    const text = (field: string) => (typeof parsed[field] === 'string' ? (parsed[field] as string) : undefined);
    return { eventId: text('eventId'), type: text('type'), occurredAt: text('occurredAt'), producer: text('producer') };
  } catch {
    return undefined;
  }
}

const iso = (value: unknown): string => (value instanceof Date ? value.toISOString() : String(value));

/** A missing table (the service never started with this schema) reads as "no row". */
async function optionalRow<T>(db: Db, sql: string, orderId: string): Promise<T | null> {
  try {
    const { rows } = await db.query<T & object>(sql, [orderId]);
    return rows[0] ?? null;
  } catch (error) {
    if ((error as { code?: string }).code === '42P01' || (error as { code?: string }).code === '3F000') return null;
    throw error;
  }
}

async function orderRow(db: Db, schema: string, orderId: string): Promise<OrderStory['order']> {
  const row = await optionalRow<{ status: string; status_reason: unknown; status_history: OrderStatusEntry[]; created_at: Date; updated_at: Date }>(
    db,
    `SELECT status, status_reason, status_history, created_at, updated_at FROM ${table(schema, 'orders')} WHERE id = $1::uuid`,
    orderId,
  );
  return row && { status: row.status, statusReason: row.status_reason, statusHistory: row.status_history, createdAt: iso(row.created_at), updatedAt: iso(row.updated_at) };
}

async function reservationRow(db: Db, schema: string, orderId: string): Promise<OrderStory['reservation']> {
  const row = await optionalRow<{ status: string; lines: unknown; reason: unknown; created_at: Date }>(
    db,
    `SELECT status, lines, reason, created_at FROM ${table(schema, 'reservations')} WHERE order_id = $1::uuid`,
    orderId,
  );
  return row && { status: row.status, lines: row.lines, reason: row.reason, createdAt: iso(row.created_at) };
}

async function deliveryRow(db: Db, schema: string, orderId: string): Promise<OrderStory['delivery']> {
  const row = await optionalRow<{ status: string; stock_status: string; delivery_date: string | null; time_window: string | null; cancel_reason: string | null; updated_at: Date }>(
    db,
    `SELECT status, stock_status, delivery_date::text, time_window, cancel_reason, updated_at FROM ${table(schema, 'deliveries')} WHERE order_id = $1::uuid`,
    orderId,
  );
  return (
    row && {
      status: row.status,
      stockStatus: row.stock_status,
      deliveryDate: row.delivery_date,
      timeWindow: row.time_window,
      cancelReason: row.cancel_reason,
      updatedAt: iso(row.updated_at),
    }
  );
}
