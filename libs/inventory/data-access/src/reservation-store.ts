import { EntityManager } from 'typeorm';
import { preparedStatement, queryPrepared } from '@relay/messaging';
import { ReservationRecord } from '@relay/inventory/domain';

/**
 * Reads these orders' reservation records and locks them until the transaction ends: one
 * statement, in order-id order. Orders inventory has not decided yet are absent from the map.
 */
export async function lockReservations(manager: EntityManager, orderIds: readonly string[]): Promise<Map<string, ReservationRecord>> {
  const ids = [...new Set(orderIds)].sort();
  if (ids.length === 0) return new Map();
  const rows = await queryPrepared<{ order_id: string; status: ReservationRecord['status']; lines: ReservationRecord['lines']; reason: ReservationRecord['reason'] }>(manager, LOCK_RESERVATIONS, [ids]);
  return new Map(rows.map((row) => [row.order_id, { status: row.status, lines: row.lines, reason: row.reason }]));
}

/** Writes new and changed reservation records: one statement for all of them. */
export async function saveReservations(manager: EntityManager, reservations: ReadonlyMap<string, ReservationRecord>): Promise<void> {
  if (reservations.size === 0) return;
  const rows = [...reservations].map(([orderId, record]) => ({ orderId, ...record }));
  await queryPrepared(manager, SAVE_RESERVATIONS, [JSON.stringify(rows)]);
}

// Every inventory transaction runs these: prepared once per connection (@relay/messaging's preparedStatement).
const LOCK_RESERVATIONS = preparedStatement(
  `SELECT order_id::text, status, lines, reason FROM reservations WHERE order_id = ANY($1::uuid[]) ORDER BY order_id FOR UPDATE`,
);
const SAVE_RESERVATIONS = preparedStatement(
  `INSERT INTO reservations (order_id, status, lines, reason)
   SELECT (row->>'orderId')::uuid, row->>'status', row->'lines', NULLIF(row->'reason', 'null'::jsonb)
   FROM jsonb_array_elements($1::jsonb) AS entry(row)
   ON CONFLICT (order_id) DO UPDATE SET status = excluded.status, lines = excluded.lines, reason = excluded.reason`,
);
