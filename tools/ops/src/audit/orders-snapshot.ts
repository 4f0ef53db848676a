import { OrderPlacedV1 } from '@relay/contracts';
import { Db, requireTables, table } from '../db';

export interface OrderRow {
  createdAt: string;
  /** Older than the grace period: its event should have been published and applied by now. */
  settled: boolean;
}

export interface PlacedEventRow {
  eventId: string;
  orderId: string;
  createdAt: string;
  publishedAt: string | null;
  /** Published more than the grace period ago: consumers should have applied it by now. */
  settled: boolean;
}

export interface UnpublishedRow {
  id: string;
  eventId: string;
  eventType: string;
  key: string;
  createdAt: string;
  overdue: boolean;
}

/** The orders schema at one instant: orders, their order.placed outbox rows, unpublished rows. */
export interface OrdersSnapshot {
  orders: Map<string, OrderRow>;
  /** order.placed outbox rows by orderId (normally one), oldest first. */
  placedByOrder: Map<string, PlacedEventRow[]>;
  /** eventIds of every order.placed this schema's outbox ever held. */
  placedEventIds: Set<string>;
  unpublished: UnpublishedRow[];
}

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

export async function readOrdersSnapshot(db: Db, schema: string, graceSeconds: number): Promise<OrdersSnapshot> {
  await requireTables(db, schema, ['orders', 'outbox'], 'orders-schema');
  // One snapshot: an order and its outbox row commit together, so they are seen together.
  await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const orders = await db.query<{ id: string; created_at: Date; settled: boolean }>(
      `SELECT id::text AS id, created_at, created_at < now() - make_interval(secs => $1) AS settled FROM ${table(schema, 'orders')}`,
      [graceSeconds],
    );
    const placed = await db.query<{ event_id: string; message_key: string; created_at: Date; published_at: Date | null; settled: boolean }>(
      `SELECT event_id::text AS event_id, message_key, created_at, published_at,
              coalesce(published_at < now() - make_interval(secs => $2), false) AS settled
       FROM ${table(schema, 'outbox')} WHERE event_type = $1 ORDER BY id`,
      [OrderPlacedV1.pattern, graceSeconds],
    );
    const unpublished = await db.query<{ id: string; event_id: string; event_type: string; message_key: string; created_at: Date; overdue: boolean }>(
      `SELECT id::text AS id, event_id::text AS event_id, event_type, message_key, created_at, created_at < now() - make_interval(secs => $1) AS overdue
       FROM ${table(schema, 'outbox')} WHERE published_at IS NULL ORDER BY id`,
      [graceSeconds],
    );
    const placedByOrder = new Map<string, PlacedEventRow[]>();
    for (const row of placed.rows) {
      const rows = placedByOrder.get(row.message_key) ?? [];
      rows.push({ eventId: row.event_id, orderId: row.message_key, createdAt: iso(row.created_at)!, publishedAt: iso(row.published_at), settled: row.settled });
      placedByOrder.set(row.message_key, rows);
    }
    return {
      orders: new Map(orders.rows.map((row) => [row.id, { createdAt: iso(row.created_at)!, settled: row.settled }])),
      placedByOrder,
      placedEventIds: new Set(placed.rows.map((row) => row.event_id)),
      unpublished: unpublished.rows.map((row) => ({
        id: row.id,
        eventId: row.event_id,
        eventType: row.event_type,
        key: row.message_key,
        createdAt: iso(row.created_at)!,
        overdue: row.overdue,
      })),
    };
  } finally {
    await db.query('COMMIT');
  }
}

/** Of `orderIds`, those that exist now (for orphans seen after the snapshot was taken). */
export async function existingOrders(db: Db, schema: string, orderIds: string[]): Promise<Set<string>> {
  const uuids = orderIds.filter((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id));
  if (uuids.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>(`SELECT id::text AS id FROM ${table(schema, 'orders')} WHERE id = ANY($1::uuid[])`, [uuids]);
  return new Set(rows.map((row) => row.id));
}
