import { plural } from '../io';
import { OrdersSnapshot } from './orders-snapshot';
import { checkResult, CheckResult, FindingBuilder, ResolvedAuditOptions } from './types';

/** (1) Every order has its order.placed event in the outbox, and it was published. */
export function outboxCheck(snapshot: OrdersSnapshot, options: ResolvedAuditOptions): CheckResult {
  const max = options.maxExamples;
  const grace = options.graceSeconds;
  const missing = new FindingBuilder('missing-event', 'orders without an order.placed event in the outbox', max);
  const unpublished = new FindingBuilder('unpublished', `outbox events not published after ${grace} s`, max);
  const orphans = new FindingBuilder('orphan-event', 'order.placed events in the outbox for orders that do not exist', max);
  const pending = new FindingBuilder('pending', `outbox events younger than ${grace} s, not published yet`, max);
  const multiple = new FindingBuilder('multiple-events', 'orders with more than one order.placed event in the outbox', max);

  for (const [orderId, order] of snapshot.orders) {
    const events = snapshot.placedByOrder.get(orderId);
    if (!events) missing.add({ orderId, createdAt: order.createdAt });
    else if (events.length > 1) multiple.add({ orderId, eventIds: events.map((event) => event.eventId).join(', ') });
  }
  for (const [orderId, events] of snapshot.placedByOrder) {
    if (!snapshot.orders.has(orderId)) for (const event of events) orphans.add({ orderId, eventId: event.eventId, createdAt: event.createdAt });
  }
  for (const row of snapshot.unpublished) {
    (row.overdue ? unpublished : pending).add({ outboxId: row.id, eventId: row.eventId, eventType: row.eventType, key: row.key, createdAt: row.createdAt });
  }
  const placedEvents = [...snapshot.placedByOrder.values()].reduce((sum, events) => sum + events.length, 0);
  const counts = {
    orders: snapshot.orders.size,
    placedEvents,
    unpublished: snapshot.unpublished.length,
    unpublishedOverdue: unpublished.count,
    ordersWithoutEvent: missing.count,
  };
  const summary = `${plural(counts.orders, 'order')}, ${plural(placedEvents, 'order.placed event')} in the outbox, ${counts.unpublished} unpublished (${unpublished.count} older than ${grace} s)`;
  return checkResult('outbox', '1. outbox: every order has its event, published', summary, counts, [missing, unpublished, orphans], [pending, multiple]);
}
