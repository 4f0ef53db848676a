import { count, plural } from '../io';
import { AuditContext, consumedByGroup, onTopic } from './context';
import { lagAtStart } from './kafka-state';
import { consumersOf, FINAL_ORDER_STATUSES, finalExpectation, SERVICES } from './model';
import { checkResult, CheckResult, FindingBuilder } from './types';

/**
 * What an order is still waiting for: its events (in the three outboxes) not yet published, not
 * on their topic, or not yet consumed by a group that applies them when the audit started, and
 * whether one of them was quarantined (it will never be published: the order cannot end). Empty
 * when nothing about the order is in flight: then every effect of every event about it is in the
 * snapshot (a group commits past an event only once its effect, and the events it raised, are
 * durable), and so is every event those effects raised, published and consumed in turn.
 */
function waitingFor(context: AuditContext, orderId: string): { waiting: string[]; quarantined: boolean } {
  const waiting: string[] = [];
  let quarantined = false;
  for (const producer of SERVICES) {
    for (const row of context.snapshot.outbox[producer].byKey.get(orderId) ?? []) {
      if (row.quarantine && !onTopic(context, producer, row)) {
        waiting.push(`${row.type} quarantined in ${context.options[producer].schema}`);
        quarantined = true;
        continue;
      }
      if (row.publishedAt === null) {
        waiting.push(`${row.type} unpublished in ${context.options[producer].schema}`);
        continue;
      }
      const event = onTopic(context, producer, row);
      if (!event) {
        waiting.push(`${row.type} not on ${context.scans[producer].topic}`);
        continue;
      }
      for (const consumer of consumersOf(row.type)) {
        if (!consumedByGroup(context, consumer, event)) waiting.push(`${row.type} not consumed by ${context.options[consumer].group}`);
      }
    }
  }
  return { waiting, quarantined };
}

/**
 * (9) Every order nothing is in flight for has reached a final status (SCHEDULED, REJECTED,
 * CANCELLED), and its reservation and delivery agree with it (reserved → scheduled; rejected →
 * delivery cancelled; cancelled → stock given back, delivery cancelled). Orders with events still
 * unpublished or unconsumed are in flight, never gaps: the audit can run under load.
 */
export function finalCheck(context: AuditContext): CheckResult {
  const { snapshot, options, kafka } = context;
  const max = options.maxExamples;
  const stuck = new FindingBuilder('stuck', `orders in a non-final status (not ${FINAL_ORDER_STATUSES.join(', ')}) although every event about them was published and consumed`, max);
  const inconsistent = new FindingBuilder('inconsistent', 'orders in a final status whose reservation or delivery disagrees with it although nothing about them is in flight', max);
  const inFlight = new FindingBuilder('in-flight', 'orders with events still unpublished or unconsumed (not judged yet)', max);
  const heldBack = new FindingBuilder('quarantined', 'orders one of whose events its relay quarantined (a gap of check 1): they cannot reach a final status, not judged', max);

  let final = 0;
  for (const [orderId, order] of snapshot.orders) {
    const { waiting, quarantined } = waitingFor(context, orderId);
    const reservation = snapshot.reservations.get(orderId)?.status ?? null;
    const delivery = snapshot.deliveries.get(orderId)?.status ?? null;
    if (quarantined) {
      heldBack.add({ orderId, status: order.status, waitingFor: waiting.slice(0, 3).join('; ') });
      continue;
    }
    if (waiting.length > 0) {
      inFlight.add({ orderId, status: order.status, waitingFor: `${waiting.slice(0, 3).join('; ')}${waiting.length > 3 ? '; …' : ''}` });
      continue;
    }
    const expected = finalExpectation(order.status);
    if (!expected) stuck.add({ orderId, status: order.status, reservation, delivery, createdAt: order.createdAt });
    else if (!expected.reservation.includes(reservation ?? '') || !expected.delivery.includes(delivery ?? '')) {
      inconsistent.add({ orderId, status: order.status, reservation, delivery, expected: `reservation ${expected.reservation.join('|')}, delivery ${expected.delivery.join('|')}` });
    } else final++;
  }
  const startLag = lagAtStart(kafka);
  const unpublished = SERVICES.reduce((sum, service) => sum + snapshot.outbox[service].rows.filter((row) => row.publishedAt === null).length, 0);
  const idle = startLag === 0n && unpublished === 0;
  const counts = { orders: snapshot.orders.size, final, inFlight: inFlight.count, quarantined: heldBack.count, stuck: stuck.count, inconsistent: inconsistent.count, pipelineIdle: idle ? 1 : 0 };
  const summary =
    `${plural(final, 'order')} final and consistent, ${count(inFlight.count)} in flight, ${count(stuck.count + inconsistent.count)} stuck or inconsistent; ` +
    (idle ? 'pipeline idle at the snapshot (every group at lag 0, every outbox empty)' : `pipeline busy at the snapshot (lag ${count(startLag)}, ${plural(unpublished, 'unpublished row')})`);
  return checkResult('final', '9. final: every order nothing is in flight for is final, and the three services agree on it', summary, counts, [stuck, inconsistent], [heldBack, inFlight]);
}
