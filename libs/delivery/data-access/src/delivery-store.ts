import { EntityManager } from 'typeorm';
import { DeliveryState, NEW_DELIVERY } from '@relay/delivery/domain';

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
 * Reads the deliveries of these orders and locks their rows (creating missing ones as PENDING)
 * until the transaction ends: two statements for any number of orders, rows locked in order-id
 * order, so runs from the two topics this group reads never deadlock on each other.
 */
export async function lockDeliveries(manager: EntityManager, orderIds: readonly string[]): Promise<Map<string, DeliveryState>> {
  const ids = [...new Set(orderIds)].sort();
  if (ids.length === 0) return new Map();
  await manager.query(
    `INSERT INTO deliveries (order_id, status, stock_status)
     SELECT order_id, $2, $3 FROM unnest($1::uuid[]) AS ids(order_id)
     ON CONFLICT (order_id) DO NOTHING`,
    [ids, NEW_DELIVERY.status, NEW_DELIVERY.stock],
  );
  const rows: DeliveryRow[] = await manager.query(
    `SELECT order_id::text, status, delivery_date::text, time_window, route, stock_status, cancel_reason
     FROM deliveries WHERE order_id = ANY($1::uuid[]) ORDER BY order_id FOR UPDATE`,
    [ids],
  );
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

/** Stores deliveries' new states: one statement for all of them. */
export async function saveDeliveries(manager: EntityManager, states: ReadonlyMap<string, DeliveryState>): Promise<void> {
  if (states.size === 0) return;
  const rows = [...states].map(([orderId, state]) => ({
    orderId,
    status: state.status,
    deliveryDate: state.plan?.deliveryDate ?? null,
    timeWindow: state.plan?.timeWindow ?? null,
    route: state.plan?.route ?? null,
    stock: state.stock,
    cancelReason: state.cancelReason,
  }));
  await manager.query(
    `UPDATE deliveries AS delivery
     SET status = row->>'status', delivery_date = (row->>'deliveryDate')::date, time_window = row->>'timeWindow', route = row->>'route',
         stock_status = row->>'stock', cancel_reason = row->>'cancelReason', updated_at = now()
     FROM jsonb_array_elements($1::jsonb) AS entry(row)
     WHERE delivery.order_id = (row->>'orderId')::uuid AND delivery.order_id = ANY($2::uuid[])`,
    // The id list keeps the plan on the primary key (see recordStatusChanges in orders).
    [JSON.stringify(rows), rows.map((row) => row.orderId)],
  );
}
