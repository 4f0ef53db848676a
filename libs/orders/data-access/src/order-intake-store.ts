import { EntityManager } from 'typeorm';
import { preparedStatement, queryPrepared } from '@relay/messaging';
import { Order, OrderStatus, ShippingAddress, StatusReason } from '@relay/orders/domain';
import type { IdempotencyRecord } from './order-store';

/** An order to store as placed, with the Idempotency-Key of the request that placed it, if any. */
export interface NewOrder {
  order: Order;
  idempotency?: IdempotencyRecord;
}

/**
 * Stores placed orders (with their first status-history entry) and their lines: one statement for any number
 * of orders, with one JSON parameter, so the statement text never changes and is prepared once
 * per connection. An order whose Idempotency-Key is already taken (by a committed order, or
 * by an order earlier in the same call) is not stored, nor are its lines: the caller
 * answers it as a replay once its transaction has committed. Rows are written in the given order.
 *
 * Returns the ids of the orders stored.
 */
export async function insertPlacedOrders(manager: EntityManager, orders: readonly NewOrder[]): Promise<Set<string>> {
  if (orders.length === 0) return new Set();
  const rows = orders.map(({ order, idempotency }) => ({
    id: order.id,
    customerId: order.customerId,
    status: order.status,
    // Absent keys read as SQL NULL (`row->'x'`), where a JSON null would be stored as jsonb 'null'.
    statusReason: order.statusReason ?? undefined,
    shippingAddress: order.shippingAddress ?? undefined,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    idempotencyKey: idempotency?.key,
    requestHash: idempotency?.requestHash,
    items: order.items.map((line) => ({ sku: line.sku, quantity: line.quantity })),
  }));
  // Data-modifying CTEs see one snapshot, and the foreign key of order_lines is checked at the end
  // of the statement, after the orders rows exist.
  const inserted = await queryPrepared<{ id: string }>(manager, INSERT_PLACED_ORDERS, [JSON.stringify(rows)]);
  return new Set(inserted.map((row) => row.id));
}

interface PlacedOrderRow {
  id: string;
  customer_id: string;
  status: string;
  status_reason: StatusReason | null;
  shipping_address: ShippingAddress | null;
  created_at: Date;
  updated_at: Date;
  request_hash: string | null;
  items: { sku: string; quantity: number }[];
}

/** The order placed with this Idempotency-Key, with the hash of the request's body: one statement. */
export async function findOrderPlacedWithKey(manager: EntityManager, key: string): Promise<{ order: Order; requestHash: string } | null> {
  const rows = await queryPrepared<PlacedOrderRow>(manager, FIND_ORDER_PLACED_WITH_KEY, [key]);
  const row = rows[0];
  if (!row) return null;
  return {
    order: {
      id: row.id,
      customerId: row.customer_id,
      status: row.status as OrderStatus,
      statusReason: row.status_reason,
      shippingAddress: row.shipping_address,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      items: row.items,
    },
    requestHash: row.request_hash ?? '',
  };
}

// The intake's statements: prepared once per connection (@relay/messaging's preparedStatement).
const INSERT_PLACED_ORDERS = preparedStatement(
  `WITH input AS (
     SELECT (row->>'id')::uuid AS id, row->>'customerId' AS customer_id, row->>'status' AS status,
            row->'statusReason' AS status_reason, row->'shippingAddress' AS shipping_address,
            (row->>'createdAt')::timestamptz AS created_at, (row->>'updatedAt')::timestamptz AS updated_at,
            row->>'idempotencyKey' AS idempotency_key, row->>'requestHash' AS request_hash,
            row->'items' AS items, position
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS entry(row, position)
   ),
   inserted AS (
     INSERT INTO orders (id, customer_id, status, status_reason, shipping_address, status_history, created_at, updated_at, idempotency_key, request_hash)
     SELECT id, customer_id, status, status_reason, shipping_address,
            jsonb_build_array(jsonb_build_object('from', NULL, 'to', status, 'cause', 'order.placed.v1', 'at', created_at)),
            created_at, updated_at, idempotency_key, request_hash
     FROM input
     ORDER BY position
     ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
     RETURNING id
   ),
   lines AS (
     INSERT INTO order_lines (order_id, line_no, sku, quantity)
     SELECT input.id, line.line_no::int, line.item->>'sku', (line.item->>'quantity')::int
     FROM input
     JOIN inserted USING (id)
     CROSS JOIN LATERAL jsonb_array_elements(input.items) WITH ORDINALITY AS line(item, line_no)
     ORDER BY input.position, line.line_no
   )
   SELECT id::text AS id FROM inserted`,
);
const FIND_ORDER_PLACED_WITH_KEY = preparedStatement(
  `SELECT o.id::text AS id, o.customer_id, o.status, o.status_reason, o.shipping_address, o.created_at, o.updated_at, o.request_hash,
          COALESCE((SELECT jsonb_agg(jsonb_build_object('sku', l.sku, 'quantity', l.quantity) ORDER BY l.line_no)
                    FROM order_lines AS l WHERE l.order_id = o.id), '[]'::jsonb) AS items
   FROM orders AS o
   WHERE o.idempotency_key = $1`,
);
