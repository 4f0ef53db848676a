import { EntityManager } from 'typeorm';
import { preparedStatement, queryPrepared } from '@relay/messaging';
import { DeliveryState } from '@relay/delivery/domain';

interface DeliveryRow {
  order_id: string;
  status: string;
  delivery_date: string | null;
  time_window: string | null;
  route: string | null;
  stock_status: string;
  cancel_reason: string | null;
}

/**
 * Reads the deliveries these orders already have and locks their rows until the transaction ends:
 * one statement for any number of orders, rows locked in order-id order, so runs from the two
 * topics this group reads never deadlock on each other. Orders without a delivery row yet are
 * absent from the map: their first fact creates the row (saveDeliveries).
 */
export async function lockDeliveries(manager: EntityManager, orderIds: readonly string[]): Promise<Map<string, DeliveryState>> {
  const ids = [...new Set(orderIds)].sort();
  if (ids.length === 0) return new Map();
  const rows = await queryPrepared<DeliveryRow>(manager, LOCK_DELIVERIES, [ids]);
  return new Map(
    rows.map((row) => [
      row.order_id,
      {
        status: row.status as DeliveryState['status'],
        plan: row.delivery_date && row.time_window && row.route ? { deliveryDate: row.delivery_date, timeWindow: row.time_window, route: row.route } : null,
        stock: row.stock_status as DeliveryState['stock'],
        cancelReason: row.cancel_reason as DeliveryState['cancelReason'],
      },
    ]),
  );
}

/**
 * Stores deliveries' new states, one statement for all of them: rows that lockDeliveries returned
 * (locked) are updated, the others are created. A row to create that exists by now was created by
 * a concurrent transaction (the order's events from the two topics applied at the same moment)
 * whose facts these states do not include: it is left alone, and its order id returned, for the
 * caller to lock the row and apply its facts again on top of it.
 */
export async function saveDeliveries(manager: EntityManager, states: ReadonlyMap<string, DeliveryState>, locked: ReadonlySet<string>): Promise<string[]> {
  if (states.size === 0) return [];
  const rows = [...states].map(([orderId, state]) => ({
    orderId,
    locked: locked.has(orderId),
    status: state.status,
    deliveryDate: state.plan?.deliveryDate ?? null,
    timeWindow: state.plan?.timeWindow ?? null,
    route: state.plan?.route ?? null,
    stock: state.stock,
    cancelReason: state.cancelReason,
  }));
  // An upsert (ON CONFLICT DO UPDATE) would do this in one step, but PostgreSQL's statistics count
  // each of its updates as an insert too; the UPDATE and the INSERT … DO NOTHING below write the
  // same rows and are counted as what they are.
  const saved = await queryPrepared<{ order_id: string }>(
    manager,
    SAVE_DELIVERIES,
    // The id list keeps the UPDATE's plan on the primary key (see recordStatusChanges in orders).
    [JSON.stringify(rows), rows.filter((row) => row.locked).map((row) => row.orderId)],
  );
  if (saved.length === rows.length) return [];
  const savedIds = new Set(saved.map((row) => row.order_id));
  return rows.filter((row) => !savedIds.has(row.orderId)).map((row) => row.orderId);
}

// Every delivery transaction runs these: prepared once per connection (@relay/messaging's preparedStatement).
const LOCK_DELIVERIES = preparedStatement(
  `SELECT order_id::text, status, delivery_date::text, time_window, route, stock_status, cancel_reason
   FROM deliveries WHERE order_id = ANY($1::uuid[]) ORDER BY order_id FOR UPDATE`,
);
const SAVE_DELIVERIES = preparedStatement(
  `WITH input AS (
     SELECT (row->>'orderId')::uuid AS order_id, (row->>'locked')::boolean AS locked, row->>'status' AS status,
            (row->>'deliveryDate')::date AS delivery_date, row->>'timeWindow' AS time_window, row->>'route' AS route,
            row->>'stock' AS stock_status, row->>'cancelReason' AS cancel_reason
     FROM jsonb_array_elements($1::jsonb) AS entry(row)
   ),
   updated AS (
     UPDATE deliveries AS delivery
     SET status = input.status, delivery_date = input.delivery_date, time_window = input.time_window, route = input.route,
         stock_status = input.stock_status, cancel_reason = input.cancel_reason, updated_at = now()
     FROM input
     WHERE input.locked AND delivery.order_id = input.order_id AND delivery.order_id = ANY($2::uuid[])
     RETURNING delivery.order_id
   ),
   created AS (
     INSERT INTO deliveries (order_id, status, delivery_date, time_window, route, stock_status, cancel_reason)
     SELECT order_id, status, delivery_date, time_window, route, stock_status, cancel_reason
     FROM input WHERE NOT locked
     ORDER BY order_id
     ON CONFLICT (order_id) DO NOTHING
     RETURNING order_id
   )
   SELECT order_id::text FROM updated UNION ALL SELECT order_id::text FROM created`,
);
