import { EntityManager } from 'typeorm';
import { OrderStatus, StatusReason } from '@relay/orders/domain';

/** A status change to store: the order's row and one history entry. */
export interface RecordedStatusChange {
  orderId: string;
  from: OrderStatus;
  to: OrderStatus;
  reason: StatusReason | null;
  cause: string;
  at: Date;
}

/**
 * Reads the statuses of these orders and locks their rows until the transaction ends: one
 * statement, rows locked in id order, so concurrent runs queue instead of deadlocking. Orders this
 * schema does not have are simply absent from the map.
 */
export async function lockOrderStatuses(manager: EntityManager, orderIds: readonly string[]): Promise<Map<string, OrderStatus>> {
  const ids = [...new Set(orderIds)].sort();
  if (ids.length === 0) return new Map();
  const rows: { id: string; status: OrderStatus }[] = await manager.query(`SELECT id::text, status FROM orders WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [ids]);
  return new Map(rows.map((row) => [row.id, row.status]));
}

/**
 * Stores a run of status changes, in order: each order's row takes its last change, and every
 * change gets a history entry. Two statements for any number of changes.
 */
export async function recordStatusChanges(manager: EntityManager, changes: readonly RecordedStatusChange[]): Promise<void> {
  if (changes.length === 0) return;
  const last = new Map(changes.map((change) => [change.orderId, change]));
  await manager.query(
    `UPDATE orders AS o SET status = row->>'to', status_reason = NULLIF(row->'reason', 'null'::jsonb), updated_at = (row->>'at')::timestamptz
     FROM jsonb_array_elements($1::jsonb) AS entry(row)
     WHERE o.id = (row->>'orderId')::uuid AND o.id = ANY($2::uuid[])`,
    // The id list is redundant for the result but not for the plan: PostgreSQL guesses 100 rows for
    // any jsonb_array_elements and may then join them by scanning the whole table; with the ids it
    // looks the rows up in the primary key.
    [JSON.stringify([...last.values()]), [...last.keys()]],
  );
  await manager.query(
    `INSERT INTO order_status_history (order_id, from_status, to_status, cause, changed_at)
     SELECT (row->>'orderId')::uuid, row->>'from', row->>'to', row->>'cause', (row->>'at')::timestamptz
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS entry(row, position)
     ORDER BY position`,
    [JSON.stringify(changes)],
  );
}
