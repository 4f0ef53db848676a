import { EntityManager } from 'typeorm';
import { preparedStatement, queryPrepared } from '@relay/messaging';
import { OrderStatus, StatusReason } from '@relay/orders/domain';

/** A status change to store: the order's status and one entry of its history. */
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
  const rows = await queryPrepared<{ id: string; status: OrderStatus }>(manager, LOCK_ORDER_STATUSES, [ids]);
  return new Map(rows.map((row) => [row.id, row.status]));
}

/**
 * Stores a run of status changes, in order: each order's row takes its last change, and every
 * change is appended to that order's status history. One statement for any number of changes.
 */
export async function recordStatusChanges(manager: EntityManager, changes: readonly RecordedStatusChange[]): Promise<void> {
  if (changes.length === 0) return;
  const orderIds = [...new Set(changes.map((change) => change.orderId))];
  await queryPrepared(
    manager,
    RECORD_STATUS_CHANGES,
    // The id list is redundant for the result but not for the plan: PostgreSQL guesses 100 rows for
    // any jsonb_array_elements and may then join them by scanning the whole table; with the ids it
    // looks the rows up in the primary key.
    [JSON.stringify(changes), orderIds],
  );
}

// Every status change runs these: prepared once per connection (@relay/messaging's preparedStatement).
const LOCK_ORDER_STATUSES = preparedStatement(`SELECT id::text, status FROM orders WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`);
const RECORD_STATUS_CHANGES = preparedStatement(
  `WITH change AS (
     SELECT (row->>'orderId')::uuid AS order_id, row, position
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS entry(row, position)
   ),
   per_order AS (
     SELECT order_id,
            jsonb_agg(jsonb_build_object('from', row->'from', 'to', row->'to', 'cause', row->'cause', 'at', row->'at') ORDER BY position) AS entries,
            (array_agg(row ORDER BY position DESC))[1] AS last
     FROM change
     GROUP BY order_id
   )
   UPDATE orders AS o
   SET status = last->>'to', status_reason = NULLIF(last->'reason', 'null'::jsonb), updated_at = (last->>'at')::timestamptz,
       status_history = o.status_history || per_order.entries
   FROM per_order
   WHERE o.id = per_order.order_id AND o.id = ANY($2::uuid[])`,
);
