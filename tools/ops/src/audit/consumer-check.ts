import { plural } from '../io';
import { AuditContext, consumedByGroup, factList, onTopic, producedHere, recordedFacts } from './context';
import {
  allowedDeliveryStatuses,
  allowedOrderStatuses,
  allowedReservationStatuses,
  CONSUMES,
  deliveryEventsFit,
  EVENT,
  expectedStockEvents,
  publisherOf,
  ServiceId,
  SERVICES,
} from './model';
import { existingNow, OutboxRow } from './snapshot';
import { checkResult, CheckResult, FindingBuilder } from './types';

const NUMBER: Record<ServiceId, number> = { inventory: 5, delivery: 6, orders: 7 };
const EFFECT: Record<ServiceId, string> = { orders: 'order status', inventory: 'reservation', delivery: 'delivery' };

const countTypes = (rows: readonly OutboxRow[] | undefined, type: string) => (rows ?? []).filter((row) => row.type === type).length;

/**
 * (5-7) A consumer group applied each event it consumes exactly once, and its effects are what
 * those events make them:
 * - every event of this stack's outboxes the group had consumed (committed past) when the audit
 *   started is below its stored position and was not parked (applied-events.ts); an event not
 *   consumed yet is pending (in flight);
 * - the effect of each order (its reservation, delivery or status) is one the recorded events can
 *   produce, in any arrival order, and the events it raised (stock or delivery events in its
 *   outbox, written in the same transaction) are exactly those its state calls for;
 * - no effect exists without a record of an event that causes it, nor for an order that does not.
 * The positions, the effects and the raised events commit together, so one snapshot holds no
 * half-applied event: any disagreement is a gap, load or not.
 */
export async function consumerCheck(context: AuditContext, service: ServiceId): Promise<CheckResult> {
  const { snapshot, options, db } = context;
  const max = options.maxExamples;
  const { schema, group } = options[service];
  const processed = context.applied[service];
  const effect = EFFECT[service];

  const notApplied = new FindingBuilder('not-applied', `events group "${group}" had consumed (committed past) when the audit started but has not applied (its stored position is not past them: lost, or parked on a dead-letter topic)`, max);
  const effectMissing = new FindingBuilder('effect-missing', `orders whose events group "${group}" recorded but whose ${effect} is missing from ${schema}`, max);
  const unrecorded = new FindingBuilder('unrecorded-effect', `orders with a ${effect} but no applied event that makes one, for group "${group}"`, max);
  const mismatch = new FindingBuilder('state-mismatch', `orders whose ${effect} is not what the events group "${group}" recorded make it`, max);
  const eventMismatch = new FindingBuilder('event-mismatch', `orders whose ${effect} did not raise exactly the events its state calls for (${schema} outbox)`, max);
  const repeated = new FindingBuilder('repeated-transition', 'orders that reached one status more than once (orders.status_history)', max);
  const orphan = new FindingBuilder('orphan-effect', `${effect} rows for orders that do not exist`, max);
  const pending = new FindingBuilder('pending', `published events group "${group}" has not consumed yet (in flight)`, max);
  const unpublished = new FindingBuilder('not-published', 'events not published yet (see check 1), not expected here yet', max);
  const quarantined = new FindingBuilder('quarantined', 'events their relay quarantined, never published (a gap of check 1), so never applied', max);
  const offTopic = new FindingBuilder('missing-on-topic', 'published events not on their topic (see checks 2-4), never delivered', max);
  const foreign = new FindingBuilder('foreign', `${effect} rows of orders this stack never produced (other stacks on the shared topics)`, max);

  // Each event of this stack's outboxes that the group applies.
  const complete = new Set(snapshot.orders.keys());
  let events = 0;
  let eventsApplied = 0;
  for (const producer of SERVICES) {
    for (const row of snapshot.outbox[producer].rows) {
      if (!CONSUMES[service].includes(row.type)) continue;
      events++;
      if (processed.has(row.eventId)) {
        eventsApplied++;
        continue;
      }
      complete.delete(row.key);
      const example = { orderId: row.key, eventId: row.eventId, eventType: row.type };
      if (row.publishedAt === null) {
        unpublished.add(example);
        continue;
      }
      const event = onTopic(context, producer, row);
      if (!event && row.quarantine) quarantined.add(example);
      else if (!event) offTopic.add(example);
      else if (consumedByGroup(context, service, event)) notApplied.add({ ...example, partition: event.partition, offset: event.firstOffset.toString() });
      else pending.add({ ...example, publishedAt: row.publishedAt });
    }
  }

  const facts = recordedFacts(context, service);
  const none = new Set<string>();
  let effectRows = 0;
  let effectKeys: string[] = [];
  if (service === 'inventory') {
    effectRows = snapshot.reservations.size;
    effectKeys = [...snapshot.reservations.keys()];
    for (const orderId of snapshot.orders.keys()) {
      const recorded = facts.get(orderId);
      const allowed = allowedReservationStatuses(recorded ?? none);
      const row = snapshot.reservations.get(orderId);
      if (!allowed) {
        if (row) unrecorded.add({ orderId, status: row.status });
      } else if (!row) effectMissing.add({ orderId, facts: factList(recorded) });
      else if (!allowed.includes(row.status)) mismatch.add({ orderId, status: row.status, expected: allowed.join('|'), facts: factList(recorded) });
      const raised = snapshot.outbox.inventory.byKey.get(orderId);
      const found = { reserved: countTypes(raised, EVENT.reserved), rejected: countTypes(raised, EVENT.rejected), released: countTypes(raised, EVENT.released) };
      const expected = expectedStockEvents(row?.status);
      if (found.reserved !== expected.reserved || found.rejected !== expected.rejected || found.released !== expected.released) {
        eventMismatch.add({ orderId, status: row?.status ?? null, ...found, expected: `reserved=${expected.reserved} rejected=${expected.rejected} released=${expected.released}` });
      }
    }
  } else if (service === 'delivery') {
    effectRows = snapshot.deliveries.size;
    effectKeys = [...snapshot.deliveries.keys()];
    for (const orderId of snapshot.orders.keys()) {
      const recorded = facts.get(orderId);
      const allowed = allowedDeliveryStatuses(recorded ?? none);
      const row = snapshot.deliveries.get(orderId);
      if (allowed.length === 0) {
        if (row) unrecorded.add({ orderId, status: row.status });
      } else if (!row) effectMissing.add({ orderId, facts: factList(recorded) });
      else if (!allowed.includes(row.status)) mismatch.add({ orderId, status: row.status, expected: allowed.join('|'), facts: factList(recorded) });
      const raised = snapshot.outbox.delivery.byKey.get(orderId);
      const found = { scheduled: countTypes(raised, EVENT.scheduled), cancelled: countTypes(raised, EVENT.deliveryCancelled) };
      if (!deliveryEventsFit(row?.status, found)) eventMismatch.add({ orderId, status: row?.status ?? null, ...found });
    }
  } else {
    effectRows = snapshot.orders.size;
    for (const [orderId, order] of snapshot.orders) {
      const recorded = facts.get(orderId);
      const cancelled = (snapshot.outbox.orders.byKey.get(orderId) ?? []).some((row) => row.type === EVENT.cancelled);
      const allowed = allowedOrderStatuses(recorded ?? none, cancelled);
      if (!allowed.includes(order.status)) mismatch.add({ orderId, status: order.status, expected: allowed.join('|'), facts: factList(recorded), cancelledByCustomer: String(cancelled) });
    }
    for (const entry of snapshot.repeatedTransitions) repeated.add({ orderId: entry.orderId, status: entry.status, times: entry.times });
  }

  // Effects of orders the orders schema does not have (inventory and delivery).
  const candidates: string[] = [];
  for (const orderId of effectKeys) {
    if (snapshot.orders.has(orderId)) continue;
    // With shared topics, only orders this stack produced can be told apart from other stacks' orders.
    if (options.sharedTopic && !producedHere(context, orderId)) foreign.add({ orderId });
    else candidates.push(orderId);
  }
  const placedSince = await existingNow(db, options.ordersSchema, 'orders', candidates);
  for (const orderId of candidates) if (!placedSince.has(orderId)) orphan.add({ orderId });

  // Orders every one of whose events (from this stack's outboxes) the group has recorded.
  const applied = complete.size;
  const placedRecorded = [...snapshot.orders.keys()].filter((orderId) => facts.get(orderId)?.has(EVENT.placed)).length;
  const counts = {
    orders: snapshot.orders.size,
    applied,
    events,
    eventsApplied,
    pending: pending.count,
    notPublished: unpublished.count,
    notApplied: notApplied.count,
    ordersWithPlacedApplied: placedRecorded,
    appliedEvents: processed.size,
    effectRows,
    foreignEffects: foreign.count,
  };
  const consumed = CONSUMES[service].map((type) => type.replace(/\.v\d+$/, '')).join(', ');
  const producers = [...new Set(CONSUMES[service].map((type) => publisherOf(type)!))].join(' and ');
  const summary =
    `schema ${schema}, group ${group}: ${eventsApplied} of ${plural(events, 'event')} from ${producers} applied, ${pending.count} pending, ${unpublished.count} not published; ` +
    `${plural(applied, 'order')} of ${snapshot.orders.size} with every event applied; ${plural(effectRows, `${effect} row`)}` +
    `${options.sharedTopic && service !== 'orders' ? ` (${foreign.count} foreign)` : ''}`;
  return checkResult(
    service,
    `${NUMBER[service]}. ${service}: group "${group}" applied each ${consumed} event exactly once; each ${effect} follows from them`,
    summary,
    counts,
    [notApplied, effectMissing, unrecorded, mismatch, eventMismatch, repeated, orphan],
    [pending, unpublished, quarantined, offTopic, foreign],
  );
}
