import { EntityManager } from 'typeorm';

export interface NewReservation {
  orderId: string;
  status: 'RESERVED' | 'REJECTED';
  lines: { sku: string; quantity: number }[];
  reason: Record<string, unknown> | null;
}

/** Which of these orders already have a reservation row (reserved, rejected, released or cancelled first). */
export async function ordersWithReservation(manager: EntityManager, orderIds: readonly string[]): Promise<Set<string>> {
  if (orderIds.length === 0) return new Set();
  const rows: { order_id: string }[] = await manager.query(`SELECT order_id FROM reservations WHERE order_id = ANY($1::uuid[])`, [orderIds]);
  return new Set(rows.map((row) => row.order_id));
}

/** Writes a run's reservation decisions: one statement for all of them. */
export async function insertReservations(manager: EntityManager, reservations: readonly NewReservation[]): Promise<void> {
  if (reservations.length === 0) return;
  await manager.query(
    `INSERT INTO reservations (order_id, status, lines, reason)
     SELECT (row->>'orderId')::uuid, row->>'status', row->'lines', NULLIF(row->'reason', 'null'::jsonb)
     FROM jsonb_array_elements($1::jsonb) AS entry(row)`,
    [JSON.stringify(reservations)],
  );
}
