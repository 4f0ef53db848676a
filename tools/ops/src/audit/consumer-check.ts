import { OrderPlacedV1 } from '@relay/contracts';
import { Db, requireTables, table } from '../db';
import { plural } from '../io';
import { existingOrders, OrdersSnapshot } from './orders-snapshot';
import { checkResult, CheckResult, ConsumerTarget, FindingBuilder, ResolvedAuditOptions } from './types';

/** A consumer group's effect of order.placed: one row per order in one table, keyed by order_id. */
export interface ConsumerSpec {
  id: 'inventory' | 'delivery';
  effectTable: string;
  effect: string;
  schemaFlag: string;
}

export const CONSUMERS: ConsumerSpec[] = [
  { id: 'inventory', effectTable: 'reservations', effect: 'reservation', schemaFlag: 'inventory-schema' },
  { id: 'delivery', effectTable: 'deliveries', effect: 'delivery', schemaFlag: 'delivery-schema' },
];

/**
 * (3) The group applied each order's event exactly once: processed_events holds the order's
 * eventId and exactly one effect row exists; no effect exists for an order that does not.
 */
export async function consumerCheck(
  db: Db,
  spec: ConsumerSpec,
  target: ConsumerTarget,
  snapshot: OrdersSnapshot,
  options: ResolvedAuditOptions,
): Promise<CheckResult> {
  const max = options.maxExamples;
  const grace = options.graceSeconds;
  await requireTables(db, target.schema, ['processed_events', spec.effectTable], spec.schemaFlag);
  const processed = await db.query<{ event_id: string }>(
    `SELECT event_id::text AS event_id FROM ${table(target.schema, 'processed_events')} WHERE consumer_group = $1 AND event_type = $2`,
    [target.group, OrderPlacedV1.pattern],
  );
  const recorded = new Set(processed.rows.map((row) => row.event_id));
  const effectRows = await db.query<{ order_id: string; rows: number }>(
    `SELECT order_id::text AS order_id, count(*)::int AS rows FROM ${table(target.schema, spec.effectTable)} GROUP BY order_id`,
  );
  const effects = new Map(effectRows.rows.map((row) => [row.order_id, row.rows]));

  const where = `${target.schema}.${spec.effectTable}`;
  const notApplied = new FindingBuilder('not-applied', `orders whose event group "${target.group}" has not applied (no processed_events record, no ${spec.effect})`, max);
  const effectMissing = new FindingBuilder('effect-missing', `orders recorded as applied by group "${target.group}" whose ${spec.effect} is missing from ${where}`, max);
  const unrecorded = new FindingBuilder('unrecorded-effect', `orders with a ${spec.effect} but no processed_events record of their event for group "${target.group}"`, max);
  const duplicate = new FindingBuilder('duplicate-effect', `orders with more than one ${spec.effect}`, max);
  const orphan = new FindingBuilder('orphan-effect', `${spec.effect} rows for orders that do not exist`, max);
  const pending = new FindingBuilder('pending', `orders whose event was published less than ${grace} s ago and is not applied yet`, max);
  const unpublished = new FindingBuilder('not-published', 'orders whose event is not published yet (see check 1), not expected here', max);
  const foreign = new FindingBuilder('foreign', `${spec.effect} rows of orders this schema's outbox never produced (other stacks on the shared topic)`, max);
  let applied = 0;
  let withoutEvent = 0;

  for (const [orderId] of snapshot.orders) {
    const events = snapshot.placedByOrder.get(orderId);
    if (!events) {
      withoutEvent++;
      continue;
    }
    const event = events[0];
    const isRecorded = events.some((candidate) => recorded.has(candidate.eventId));
    const rows = effects.get(orderId) ?? 0;
    if (rows > 1) duplicate.add({ orderId, eventId: event.eventId, rows });
    if (isRecorded) {
      if (rows === 0) effectMissing.add({ orderId, eventId: event.eventId });
      else applied++;
    } else if (rows > 0) {
      unrecorded.add({ orderId, eventId: event.eventId });
    } else if (event.publishedAt === null) {
      unpublished.add({ orderId, eventId: event.eventId });
    } else if (event.settled) {
      notApplied.add({ orderId, eventId: event.eventId, publishedAt: event.publishedAt });
    } else {
      pending.add({ orderId, eventId: event.eventId, publishedAt: event.publishedAt });
    }
  }
  const candidates: string[] = [];
  for (const [orderId, rows] of effects) {
    if (snapshot.orders.has(orderId)) continue;
    // With a shared topic, only orders this schema's outbox produced can be told apart from other stacks' orders.
    if (options.sharedTopic && !snapshot.placedByOrder.has(orderId)) foreign.add({ orderId, rows });
    else candidates.push(orderId);
  }
  const placedSince = await existingOrders(db, options.ordersSchema, candidates);
  for (const orderId of candidates) if (!placedSince.has(orderId)) orphan.add({ orderId, rows: effects.get(orderId)! });

  const counts = {
    orders: snapshot.orders.size,
    applied,
    pending: pending.count,
    notPublished: unpublished.count,
    ordersWithoutEvent: withoutEvent,
    processedEvents: recorded.size,
    effectRows: [...effects.values()].reduce((sum, rows) => sum + rows, 0),
    foreignEffects: foreign.count,
  };
  const summary =
    `schema ${target.schema}, group ${target.group}: ${plural(applied, 'order')} applied exactly once, ${pending.count} pending, ` +
    `${plural(counts.effectRows, `${spec.effect} row`)}${options.sharedTopic ? ` (${foreign.count} foreign)` : ''}`;
  return checkResult(
    spec.id,
    `3. ${spec.id}: group "${target.group}" applied each order's event exactly once`,
    summary,
    counts,
    [notApplied, effectMissing, unrecorded, duplicate, orphan],
    [pending, unpublished, foreign],
  );
}
